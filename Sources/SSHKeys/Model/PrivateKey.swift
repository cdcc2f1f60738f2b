import KeyholdCrypto
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

/// A private key, parsed once and kept ready to sign; its secret parts stay in guarded memory or inside OpenSSL.
///
/// Ed25519 keys sign with libsodium from a 64-byte guarded secret; ECDSA and RSA keys keep one OpenSSL `EVP_PKEY`
/// (with its CRT parameters and blinding state) and prepared signing contexts, created when the key is built, so a
/// signature costs one hash and one private-key operation. A key may carry an OpenSSH certificate: it then lists as
/// the certificate (``publicKey``) and signs exactly like its plain key.
public final class PrivateKey: Sendable {
  /// The key's identity on the wire: the certificate when the key carries one, else the plain public key.
  public let publicKey: PublicKey
  /// The plain public key (for a certificate key, the certified key).
  public let plainPublicKey: PublicKey
  /// The comment (OpenSSH key comment or the name it was imported under).
  public let comment: String

  /// What signs.
  enum Material: Sendable {
    /// libsodium's 64-byte secret key (seed ‖ public key).
    case ed25519(SecureBytes)
    /// An EC key and its prepared signing context.
    case ecdsa(EVPKey, PublicKeyBlob.Curve, EVP.SignTemplate)
    /// An RSA key, one prepared context per hash, and the modulus length in bytes.
    case rsa(EVPKey, RSASigners, modulusBytes: Int)
  }

  /// Prepared RSA contexts for `ssh-rsa`, `rsa-sha2-256` and `rsa-sha2-512`. A class, so the RSA case is no wider
  /// than the others and every key, an Ed25519 one too, is 16 bytes smaller (`keyhold-bench scale`).
  final class RSASigners: Sendable {
    let sha1: EVP.SignTemplate
    let sha256: EVP.SignTemplate
    let sha512: EVP.SignTemplate

    init(sha1: EVP.SignTemplate, sha256: EVP.SignTemplate, sha512: EVP.SignTemplate) {
      self.sha1 = sha1
      self.sha256 = sha256
      self.sha512 = sha512
    }
  }

  let material: Material
  /// The canonical plain private-key wire form, kept for RSA and ECDSA keys, whose material is an OpenSSL object;
  /// nil for Ed25519, whose form ``plainWire`` rebuilds from the material.
  let storedWire: SecureBytes?

  init(
    publicKey: PublicKey, plainPublicKey: PublicKey, comment: String, material: Material, storedWire: SecureBytes?
  ) {
    self.publicKey = publicKey
    self.plainPublicKey = plainPublicKey
    self.comment = comment
    self.material = material
    self.storedWire = storedWire
  }

  /// The canonical plain private-key wire form (`string type` and the type's fields), in guarded memory. Rebuilding
  /// an Ed25519 key's form takes a guarded slot and stops the process when none is left, as encoding a
  /// certificate key's form always has; only the command-line tool asks for it (import, export), never the agent.
  var plainWire: SecureBytes {
    if let storedWire { return storedWire }
    guard case .ed25519(let secret) = material, case .ed25519(let point) = plainPublicKey.structure else {
      preconditionFailure("only an Ed25519 key is held without its wire form")
    }
    var fields = Fields(algorithm: .ed25519)
    fields.point = point
    fields.secret = secret.unsafeCopy()
    defer { fields.wipe() }
    return fields.encode()
  }

  /// The key algorithm.
  public var algorithm: KeyAlgorithm { publicKey.algorithm }

  /// The certificate this key carries, if any (the same value as ``publicKey`` then).
  public var certificate: PublicKey? { publicKey.isCertificate ? publicKey : nil }

  /// Returns a copy with a different comment (the key material is shared, not copied).
  public func withComment(_ comment: String) -> PrivateKey {
    PrivateKey(
      publicKey: publicKey, plainPublicKey: plainPublicKey, comment: comment, material: material,
      storedWire: storedWire)
  }

  /// Returns this key carrying `certificate`, which must certify this key's plain public key.
  public func withCertificate(_ certificate: PublicKey) throws(KeyError) -> PrivateKey {
    guard certificate.isCertificate else { throw .malformed("not a certificate") }
    guard certificate.structure.plainKey == plainPublicKey.structure else {
      throw .malformed("the certificate is for a different key")
    }
    return PrivateKey(
      publicKey: certificate, plainPublicKey: plainPublicKey, comment: comment, material: material,
      storedWire: storedWire)
  }

  /// Returns this key without its certificate (itself when it has none).
  public func withoutCertificate() -> PrivateKey {
    guard publicKey.isCertificate else { return self }
    return PrivateKey(
      publicKey: plainPublicKey, plainPublicKey: plainPublicKey, comment: comment, material: material,
      storedWire: storedWire)
  }
}
