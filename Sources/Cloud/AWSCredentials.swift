/// An access key pair (and optional session token) used to sign EC2 requests.
///
/// The secret never appears in `description`, so a credentials value can be logged or put in an error safely.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
  /// The access key id (`AKIA...`, or a Eucalyptus `key-id`).
  public var accessKeyID: String
  /// The secret access key.
  public var secretAccessKey: String
  /// The STS session token, sent as `X-Amz-Security-Token` when present.
  public var sessionToken: String?

  /// Creates credentials from their parts.
  public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
    self.accessKeyID = accessKeyID
    self.secretAccessKey = secretAccessKey
    self.sessionToken = sessionToken
  }

  /// The access key id only; the secret is never printed.
  public var description: String { "access key \(accessKeyID)" }
}
