/// A use case's failure, worded for the user: one lowercase line, a guess at the fix, and the exit status the
/// command should end with (1: the request failed, 2: the cloud could not be asked or the result is incomplete).
public struct KeyholdError: Error, Sendable, CustomStringConvertible {
  /// The one-line message.
  public var message: String
  /// A guess at the user's mistake, or nil.
  public var hint: String?
  /// The exit status.
  public var status: Int32

  /// Creates an error.
  public init(_ message: String, hint: String? = nil, status: Int32 = 1) {
    self.message = message
    self.hint = hint
    self.status = status
  }

  /// The message.
  public var description: String { message }
}
