/// The structure of an SSH public key blob: the fields of a plain key, or an OpenSSH certificate around one.
///
/// Decoding is strict and encoding canonical, so `PublicKeyBlob(decoding: b).encoded() == b` for every accepted `b`.
/// This is structure only: whether an EC point lies on its curve or an RSA modulus is big enough is checked where
/// the arithmetic lives (SSHKeys).
public indirect enum PublicKeyBlob: Hashable, Sendable {
  /// `ssh-ed25519`: `string key` of exactly 32 bytes (RFC 8709 §4).
  case ed25519(publicKey: [UInt8])
  /// `ecdsa-sha2-*`: `string curve-name, string Q`, Q an uncompressed point (RFC 5656 §3.1).
  case ecdsa(curve: Curve, point: [UInt8])
  /// `ssh-rsa`: `mpint e, mpint n` (RFC 4253 §6.6); magnitudes without sign bytes.
  case rsa(e: [UInt8], n: [UInt8])
  /// `*-cert-v01@openssh.com`: an OpenSSH certificate (PROTOCOL.certkeys).
  case certificate(Certificate)

  /// The NIST curves of RFC 5656 that keyhold supports.
  public enum Curve: String, Hashable, Sendable, CaseIterable {
    /// NIST P-256, hashed with SHA-256.
    case nistp256
    /// NIST P-384, hashed with SHA-384.
    case nistp384
    /// NIST P-521, hashed with SHA-512.
    case nistp521

    /// Byte length of one field element (and of the private scalar).
    public var fieldBytes: Int {
      switch self {
      case .nistp256: return 32
      case .nistp384: return 48
      case .nistp521: return 66
      }
    }

    /// Byte length of an uncompressed point: `0x04 || X || Y` (SEC 1 §2.3.3).
    public var pointBytes: Int { 1 + 2 * fieldBytes }

    /// The key type name, `ecdsa-sha2-<curve>`.
    ///
    /// Literals rather than `"ecdsa-sha2-" + rawValue`: the name is read on every signature, and a concatenation
    /// longer than 15 bytes allocates each time.
    public var keyType: String {
      switch self {
      case .nistp256: return "ecdsa-sha2-nistp256"
      case .nistp384: return "ecdsa-sha2-nistp384"
      case .nistp521: return "ecdsa-sha2-nistp521"
      }
    }

    /// The curve size in bits, as `ssh-keygen -l` reports it.
    public var bits: Int {
      switch self {
      case .nistp256: return 256
      case .nistp384: return 384
      case .nistp521: return 521
      }
    }
  }

  /// The suffix that turns a plain key type name into its certificate type name (PROTOCOL.certkeys).
  public static let certificateSuffix = "-cert-v01@openssh.com"

  /// The plain key type names this decoder understands.
  public static let plainTypeNames: [String] =
    ["ssh-ed25519", "ssh-rsa"] + Curve.allCases.map(\.keyType)

  /// Decodes a complete blob; bytes after the structure are rejected.
  public init(decoding bytes: [UInt8]) throws(WireError) {
    var reader = SSHReader(bytes)
    self = try PublicKeyBlob.decode(from: &reader)
    try reader.expectEnd()
  }

  /// Decodes one blob from `reader`, leaving it just after the blob's last field.
  public static func decode(from reader: inout SSHReader) throws(WireError) -> PublicKeyBlob {
    let typeName = try readTypeName(&reader)
    if typeName.hasSuffix(certificateSuffix) {
      let plainName = String(typeName.dropLast(certificateSuffix.count))
      guard plainTypeNames.contains(plainName) else { throw .unknownKeyType(typeName) }
      return .certificate(try Certificate.decodeBody(plainTypeName: plainName, from: &reader))
    }
    return try decodeFields(typeName: typeName, from: &reader)
  }

  /// Reads a key or signature type name: a `string` of printable ASCII without spaces.
  public static func readTypeName(_ reader: inout SSHReader) throws(WireError) -> String {
    let raw = try reader.readString()
    guard !raw.isEmpty, raw.count <= 64, raw.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
      throw .invalidValue("key type name is not a printable ASCII word")
    }
    return String(decoding: raw, as: UTF8.self)
  }

  /// Decodes the fields that follow the type name of a plain key (also the certified key inside a certificate, and
  /// the public part of an Ed25519 or ECDSA private key in PROTOCOL.agent's add form).
  public static func decodeFields(typeName: String, from reader: inout SSHReader) throws(WireError) -> PublicKeyBlob {
    switch typeName {
    case "ssh-ed25519":
      let key = try reader.readString()
      guard key.count == 32 else { throw .badKeyField("ed25519 public key is \(key.count) bytes, not 32") }
      return .ed25519(publicKey: key)
    case "ssh-rsa":
      let e = try reader.readPositiveMPInt()
      let n = try reader.readPositiveMPInt()
      guard !e.isEmpty, !n.isEmpty else { throw .badKeyField("rsa exponent or modulus is zero") }
      return .rsa(e: e, n: n)
    default:
      guard let curve = Curve.allCases.first(where: { $0.keyType == typeName }) else {
        throw .unknownKeyType(typeName)
      }
      let curveName = try reader.readString()
      guard curveName.elementsEqual(curve.rawValue.utf8) else {
        throw .badKeyField("curve name does not match key type \(typeName)")
      }
      let point = try reader.readString()
      guard point.count == curve.pointBytes, point.first == 0x04 else {
        throw .badKeyField("\(curve.rawValue) point is not an uncompressed point of \(curve.pointBytes) bytes")
      }
      return .ecdsa(curve: curve, point: point)
    }
  }

  /// The wire type name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa-cert-v01@openssh.com`, ...).
  public var typeName: String {
    switch self {
    case .ed25519: return "ssh-ed25519"
    case .ecdsa(let curve, _): return curve.keyType
    case .rsa: return "ssh-rsa"
    case .certificate(let cert): return cert.key.typeName + PublicKeyBlob.certificateSuffix
    }
  }

  /// The key itself: for a certificate, the certified key; otherwise `self`.
  public var plainKey: PublicKeyBlob {
    if case .certificate(let cert) = self { return cert.key }
    return self
  }

  /// True for an OpenSSH certificate.
  public var isCertificate: Bool {
    if case .certificate = self { return true }
    return false
  }

  /// The canonical encoding.
  public func encoded() -> [UInt8] {
    var writer = SSHWriter(capacity: 64)
    encode(into: &writer)
    // A held key keeps its blob for as long as it is held: an exact-size copy spares a 51-byte Ed25519 blob the
    // 64-byte buffer's slack (16 bytes of heap per key; `keyhold-bench scale`).
    return writer.bytes.capacity - writer.bytes.count >= 16 ? Array(writer.bytes[...]) : writer.bytes
  }

  /// Appends the canonical encoding to `writer`.
  public func encode(into writer: inout SSHWriter) {
    switch self {
    case .certificate(let cert):
      cert.encode(into: &writer)
    default:
      writer.writeString(typeName)
      encodeFields(into: &writer)
    }
  }

  /// Appends the fields after the type name of a plain key (for a certificate, those of its certified key).
  public func encodeFields(into writer: inout SSHWriter) {
    switch self {
    case .ed25519(let key):
      writer.writeString(key)
    case .ecdsa(let curve, let point):
      writer.writeString(curve.rawValue)
      writer.writeString(point)
    case .rsa(let e, let n):
      writer.writePositiveMPInt(e)
      writer.writePositiveMPInt(n)
    case .certificate(let cert):
      cert.key.encodeFields(into: &writer)
    }
  }
}
