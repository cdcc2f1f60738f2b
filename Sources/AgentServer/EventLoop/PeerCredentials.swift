/// Who is on the other end of an accepted Unix socket, as SO_PEERCRED reports it (socket(7)): the credentials the
/// peer had when it called connect(2).
public struct PeerCredentials: Sendable, Equatable {
  /// The peer's process id.
  public let pid: Int32
  /// The peer's effective user id.
  public let uid: UInt32
  /// The peer's effective group id.
  public let gid: UInt32

  /// Creates credentials (the loop reads them; tests build them by hand).
  public init(pid: Int32, uid: UInt32, gid: UInt32) {
    self.pid = pid
    self.uid = uid
    self.gid = gid
  }
}
