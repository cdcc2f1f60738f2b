import SSHWire

/// What the agent remembers about one client connection: who it is and the SSH sessions it was bound to.
public struct AgentConnectionState: Sendable {
  /// One `session-bind@openssh.com` record (PROTOCOL.agent §1).
  struct Binding: Sendable {
    var hostKey: [UInt8]
    var sessionID: [UInt8]
    var forwarded: Bool
    /// The host key's fingerprint (``KeyFingerprint``), taken once at the bind, by which listings are ordered
    /// (``HostOrdering``) and uses recorded.
    var hostFingerprint: String
  }

  /// The peer's user id (SO_PEERCRED).
  public let peerUID: UInt32
  /// The peer's process id (SO_PEERCRED).
  public let peerPID: Int32
  /// A number naming the connection in logs.
  public let number: Int
  /// The peer process and its parents, read at accept time for the signature log; nil when no log is kept.
  public var peerProcess: PeerProcess? = nil
  /// Bindings recorded on this connection, oldest first.
  var bindings: [Binding] = []
  /// True once a bind was attempted, even one that failed (then restricted keys are refused).
  var bindAttempted = false

  /// Creates the state of a new connection.
  public init(peerUID: UInt32, peerPID: Int32, number: Int) {
    self.peerUID = peerUID
    self.peerPID = peerPID
    self.number = number
  }

  /// The most bindings one connection may record (as OpenSSH's AGENT_MAX_SESSION_IDS).
  static let maximumBindings = 16
  /// The longest session identifier accepted (as OpenSSH's AGENT_MAX_SID_LEN).
  static let maximumSessionIDLength = 128
}
