/// The fingerprint formulas clouds show for key pairs (keyhold-fingerprint(1); ARCHITECTURE.md, Keys). Hex kinds are lowercase colon-separated hex.
public enum CloudFingerprintKind: String, CaseIterable, Codable, Sendable {
  /// SHA-1 of the DER PKCS#8 PrivateKeyInfo: AWS and Eucalyptus, for key pairs they created. Needs the private key.
  case sha1PKCS8 = "sha1-pkcs8"
  /// MD5 of the DER SubjectPublicKeyInfo: AWS, for imported RSA keys.
  case md5SPKI = "md5-spki"
  /// MD5 of the SSH public key blob (= `ssh-keygen -l -E md5` without `MD5:`): Eucalyptus, imported keys.
  case md5SSH = "md5-ssh"
  /// Standard base64 *with* `=` padding of SHA-256 of the SSH blob: AWS, Ed25519 keys.
  case sha256B64 = "sha256-b64"
  /// SHA-1 of the DER SubjectPublicKeyInfo: moto, for RSA key pairs it created.
  case sha1SPKI = "sha1-spki"
  /// SHA-256 of the DER SubjectPublicKeyInfo: moto, for Ed25519 key pairs.
  case sha256SPKIHex = "sha256-spki-hex"

  /// True when the formula needs the private key.
  public var needsPrivateKey: Bool { self == .sha1PKCS8 }
}
