import SSHWire

/// A public key (or OpenSSH certificate), held as its SSH wire blob.
///
/// STUB: the real implementation parses the blob, validates it and computes fingerprints.
public struct PublicKey: Hashable, Sendable {
  /// The SSH wire encoding of the key (RFC 4253 §6.6 / RFC 5656 §3.1 / RFC 8709 §4).
  public let blob: [UInt8]
  /// The key algorithm (for a certificate: that of the certified key).
  public let algorithm: KeyAlgorithm

  /// Parses and validates a public key blob.
  public init(blob: [UInt8]) throws(KeyError) {
    throw .notImplemented("PublicKey(blob:)")
  }

  /// The key size in bits (255 for Ed25519, the curve size for ECDSA, the modulus size for RSA).
  public var bits: Int { 0 }

  /// OpenSSH's `SHA256:` fingerprint (base64 without padding), as `ssh-keygen -l` prints it.
  public var sha256Fingerprint: String { "" }

  /// OpenSSH's `MD5:` fingerprint (colon hex), as `ssh-keygen -l -E md5` prints it.
  public var md5Fingerprint: String { "" }

  /// The `.pub` line: `TYPE BASE64 [COMMENT]`.
  public func openSSHLine(comment: String) -> String { "" }
}
