import SSHWire

/// Flags of an SSH2_AGENTC_SIGN_REQUEST that choose the RSA signature hash (PROTOCOL.agent / RFC 9987 §3.6).
public struct SignFlags: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  /// SSH_AGENT_RSA_SHA2_256: sign RSA with `rsa-sha2-256`.
  public static let rsaSHA256 = SignFlags(rawValue: 0x02)
  /// SSH_AGENT_RSA_SHA2_512: sign RSA with `rsa-sha2-512`.
  public static let rsaSHA512 = SignFlags(rawValue: 0x04)
}

/// A private key, parsed once and kept ready to sign; its secret parts stay in guarded memory.
///
/// STUB: the real implementation holds libsodium / OpenSSL key objects.
public final class PrivateKey: Sendable {
  /// The matching public key.
  public let publicKey: PublicKey
  /// The comment (OpenSSH key comment or the name it was imported under).
  public let comment: String

  private init(publicKey: PublicKey, comment: String) {
    self.publicKey = publicKey
    self.comment = comment
  }

  /// The key algorithm.
  public var algorithm: KeyAlgorithm { publicKey.algorithm }

  /// Decodes the private-key wire form used by SSH2_AGENTC_ADD_IDENTITY and the OpenSSH private key file's
  /// private section: `string type` then the type's fields (PROTOCOL.agent §"Adding keys"), without the comment.
  public static func decodeWire(_ reader: inout SSHReader) throws(KeyError) -> PrivateKey {
    throw .notImplemented("PrivateKey.decodeWire")
  }

  /// Converts an OpenSSL `EVP_PKEY *` (from a PEM / DER container) into a key; the caller keeps ownership of `pkey`.
  static func fromEVP(_ pkey: OpaquePointer, comment: String) throws(KeyError) -> PrivateKey {
    throw .notImplemented("PrivateKey.fromEVP")
  }

  /// Returns a copy with a different comment.
  public func withComment(_ comment: String) -> PrivateKey {
    PrivateKey(publicKey: publicKey, comment: comment)
  }

  /// Encodes the private-key wire form (the inverse of ``decodeWire(_:)``), into guarded memory.
  public func encodeWire() -> SecureBytes { SecureBytes(copying: [UInt8]()) }

  /// Signs `data` and returns the SSH signature blob (`string algorithm-name, string signature`).
  public func sign(_ data: [UInt8], flags: SignFlags = []) throws(KeyError) -> [UInt8] {
    throw .notImplemented("sign")
  }

  /// Generates a new key. `bits` applies to RSA (default 3072) and ECDSA (256, 384 or 521; default 256).
  public static func generate(_ algorithm: KeyAlgorithm, bits: Int? = nil, comment: String = "") throws(KeyError)
    -> PrivateKey
  {
    throw .notImplemented("generate")
  }
}
