/// The log's health as `status@keyhold` carries it.
public struct SignatureLogState: Sendable, Equatable {
  /// The log file.
  public var path: String
  /// Records written since the agent started.
  public var written: UInt64
  /// Records lost since the agent started (the file could not be written, or the queue was full).
  public var lost: UInt64
  /// Why writing fails now; empty while it works.
  public var error: String

  /// Creates a state.
  public init(path: String, written: UInt64, lost: UInt64, error: String) {
    self.path = path
    self.written = written
    self.lost = lost
    self.error = error
  }
}
