import KeyholdCrypto
import SSHWire

/// A public key (or OpenSSH certificate), held as its SSH wire blob and validated once.
///
/// Two values are equal when their blobs are equal; a certificate and its plain key are different public keys.
public struct PublicKey: Hashable, Sendable {
  /// The SSH wire encoding of the key (RFC 4253 §6.6 / RFC 5656 §3.1 / RFC 8709 §4, PROTOCOL.certkeys).
  public let blob: [UInt8]
  /// The key algorithm (for a certificate: that of the certified key).
  public let algorithm: KeyAlgorithm
  /// The decoded structure of ``blob``.
  public let structure: PublicKeyBlob

  /// Type names that are valid SSH keys but that keyhold deliberately does not hold.
  private static let knownUnsupported: Set<String> = [
    "ssh-dss", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-xmss@openssh.com",
  ]

  /// Parses and validates a public key blob: sizes and structure, the EC point on its curve, RSA of 2048 to 16384
  /// bits with an odd exponent. ssh-dss, security keys (`sk-*`) and small RSA keys are `unsupportedKeyType`.
  ///
  /// EC validation costs a point decode; to find a held key by blob, compare ``blob`` bytes instead of parsing.
  public init(blob: [UInt8]) throws(KeyError) {
    let structure: PublicKeyBlob
    do {
      structure = try PublicKeyBlob(decoding: blob)
    } catch .unknownKeyType(let name) {
      throw .unsupportedKeyType(name)
    } catch {
      throw .malformed(error.description)
    }
    try PublicKey.validate(structure.plainKey)
    self.init(checked: structure, blob: blob)
  }

  /// Wraps a structure whose arithmetic validity the caller has already established.
  init(checked structure: PublicKeyBlob, blob: [UInt8]? = nil) {
    self.structure = structure
    self.blob = blob ?? structure.encoded()
    switch structure.plainKey {
    case .ed25519: algorithm = .ed25519
    case .rsa: algorithm = .rsa
    case .ecdsa(let curve, _):
      switch curve {
      case .nistp256: algorithm = .ecdsaP256
      case .nistp384: algorithm = .ecdsaP384
      case .nistp521: algorithm = .ecdsaP521
      }
    case .certificate: preconditionFailure("a certificate cannot certify a certificate")
    }
  }

  /// Checks what the wire decoder cannot: curve membership and RSA sizes.
  static func validate(_ plain: PublicKeyBlob) throws(KeyError) {
    switch plain {
    case .ed25519:
      return
    case .ecdsa(let curve, let point):
      _ = try EVP.ecPublicKey(curve: curve, point: point)
    case .rsa(let e, let n):
      try validateRSA(e: e, n: n)
    case .certificate:
      throw .malformed("certificate inside a certificate")
    }
  }

  /// Checks RSA public parameters (magnitudes without leading zeros). The vault's floor is 2048 bits; the agent
  /// takes keys from ssh-add down to 1024, as OpenSSH's agent does.
  static func validateRSA(e: [UInt8], n: [UInt8], minimumBits: Int = 2048) throws(KeyError) {
    let bits = bitLength(n)
    guard bits >= minimumBits else {
      let floor = minimumBits == 2048 ? "the vault needs at least 2048" : "at least \(minimumBits)"
      throw .unsupportedKeyType("ssh-rsa with \(bits) bits (\(floor))")
    }
    guard bits <= 16384 else { throw .unsupportedKeyType("ssh-rsa with \(bits) bits (at most 16384)") }
    guard let last = e.last, last & 1 == 1, e.count > 1 || last >= 3, e.count <= 8 else {
      throw .malformed("rsa public exponent must be odd, at least 3 and at most 64 bits")
    }
    guard let nLast = n.last, nLast & 1 == 1 else { throw .malformed("rsa modulus is even") }
  }

  /// Number of significant bits of a big-endian magnitude without leading zeros.
  static func bitLength(_ magnitude: [UInt8]) -> Int {
    guard let first = magnitude.first else { return 0 }
    return (magnitude.count - 1) * 8 + (8 - first.leadingZeroBitCount)
  }

  public static func == (a: PublicKey, b: PublicKey) -> Bool { a.blob == b.blob }
  public func hash(into hasher: inout Hasher) { hasher.combine(blob) }

  /// True for an OpenSSH certificate.
  public var isCertificate: Bool { structure.isCertificate }

  /// For a certificate, the certified plain key; otherwise `self`.
  public var plainKey: PublicKey {
    isCertificate ? PublicKey(checked: structure.plainKey) : self
  }

  /// The wire type name (`ssh-ed25519`, `ssh-rsa-cert-v01@openssh.com`, ...).
  public var typeName: String { structure.typeName }

  /// The key size in bits as `ssh-keygen -l` reports it: 256 for Ed25519, the curve size for ECDSA, the modulus
  /// size for RSA.
  public var bits: Int {
    switch structure.plainKey {
    case .ed25519: return 256
    case .ecdsa(let curve, _): return curve.bits
    case .rsa(_, let n): return PublicKey.bitLength(n)
    case .certificate: return 0
    }
  }

  /// The `.pub` line: `TYPE BASE64 [COMMENT]`.
  public func openSSHLine(comment: String) -> String {
    let line = typeName + " " + Base64.encode(blob)
    return comment.isEmpty ? line : line + " " + comment
  }
}
