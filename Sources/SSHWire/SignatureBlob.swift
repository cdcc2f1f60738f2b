/// An SSH signature blob: `string algorithm-name, string signature` (RFC 4253 §6.6, RFC 8332 §3, RFC 5656 §3.1.2).
///
/// Decoding is strict (no trailing bytes), so decode then encode gives the same bytes.
public struct SignatureBlob: Hashable, Sendable {
  /// The signature algorithm name (`ssh-ed25519`, `rsa-sha2-512`, `ecdsa-sha2-nistp256`, ...).
  public var algorithm: String
  /// The algorithm-specific signature bytes.
  public var signature: [UInt8]

  /// Creates a blob from its two fields.
  public init(algorithm: String, signature: [UInt8]) {
    self.algorithm = algorithm
    self.signature = signature
  }

  /// Decodes a complete signature blob.
  public init(decoding bytes: [UInt8]) throws(WireError) {
    var reader = SSHReader(bytes)
    algorithm = try PublicKeyBlob.readTypeName(&reader)
    signature = try reader.readString()
    try reader.expectEnd()
  }

  /// The canonical encoding.
  public func encoded() -> [UInt8] {
    var writer = SSHWriter(capacity: 8 + algorithm.utf8.count + signature.count)
    writer.writeString(algorithm)
    writer.writeString(signature)
    return writer.bytes
  }

  /// The inside of an ECDSA signature: `mpint r, mpint s` (RFC 5656 §3.1.2).
  public struct ECDSAValues: Hashable, Sendable {
    /// `r`, as a big-endian magnitude without leading zeros.
    public var r: [UInt8]
    /// `s`, as a big-endian magnitude without leading zeros.
    public var s: [UInt8]

    /// Creates the pair from big-endian magnitudes (leading zeros are dropped).
    public init(r: [UInt8], s: [UInt8]) {
      self.r = Array(r.drop(while: { $0 == 0 }))
      self.s = Array(s.drop(while: { $0 == 0 }))
    }

    /// Decodes the `mpint r, mpint s` body; both must be positive and canonical, nothing may follow.
    public init(decoding bytes: [UInt8]) throws(WireError) {
      var reader = SSHReader(bytes)
      r = try reader.readPositiveMPInt()
      s = try reader.readPositiveMPInt()
      try reader.expectEnd()
      guard !r.isEmpty, !s.isEmpty else { throw .invalidValue("ecdsa signature value is zero") }
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
      var writer = SSHWriter(capacity: r.count + s.count + 10)
      writer.writePositiveMPInt(r)
      writer.writePositiveMPInt(s)
      return writer.bytes
    }
  }
}
