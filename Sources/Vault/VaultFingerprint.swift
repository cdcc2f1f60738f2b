/// One fingerprint of a key, computed at import with one of the formulas clouds show.
public struct VaultFingerprint: Hashable, Sendable {
  /// The formula, named as SSHKeys' `CloudFingerprintKind` raw value (`sha1-pkcs8`, `md5-ssh`, ...).
  public var kind: String
  /// The fingerprint as the cloud would print it.
  public var value: String

  /// Creates a fingerprint.
  public init(kind: String, value: String) {
    self.kind = kind
    self.value = value
  }
}
