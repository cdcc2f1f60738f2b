/// A bounds-checked reader of the SSH data types of RFC 4251 section 5.
///
/// Every method either returns a value or throws ``WireError``; no input can make it trap.
public struct SSHReader: Sendable {
  /// The bytes being read.
  public let bytes: [UInt8]
  /// Index of the next unread byte.
  public private(set) var offset: Int

  /// Creates a reader over `bytes`, starting at the first byte.
  public init(_ bytes: [UInt8]) {
    self.bytes = bytes
    self.offset = 0
  }

  /// Creates a reader over any byte sequence.
  public init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
    self.init(Array(sequence))
  }

  /// Number of bytes not yet read.
  public var remaining: Int { bytes.count - offset }

  /// True when every byte has been read.
  public var isAtEnd: Bool { offset >= bytes.count }

  /// Reads `count` raw bytes.
  public mutating func readBytes(_ count: Int) throws(WireError) -> [UInt8] {
    guard count >= 0, count <= remaining else {
      throw .truncated(needed: count, available: remaining)
    }
    let out = Array(bytes[offset..<(offset + count)])
    offset += count
    return out
  }

  /// Reads one `byte`.
  public mutating func readByte() throws(WireError) -> UInt8 {
    guard remaining >= 1 else { throw .truncated(needed: 1, available: remaining) }
    let b = bytes[offset]
    offset += 1
    return b
  }

  /// Reads a `boolean` (RFC 4251 §5: 0 is false, 1 is true; other values are rejected to keep encodings canonical).
  public mutating func readBool() throws(WireError) -> Bool {
    let b = try readByte()
    switch b {
    case 0: return false
    case 1: return true
    default: throw .invalidBool(b)
    }
  }

  /// Reads a big-endian `uint32`.
  public mutating func readUInt32() throws(WireError) -> UInt32 {
    guard remaining >= 4 else { throw .truncated(needed: 4, available: remaining) }
    var v: UInt32 = 0
    for i in 0..<4 { v = (v << 8) | UInt32(bytes[offset + i]) }
    offset += 4
    return v
  }

  /// Reads a big-endian `uint64`.
  public mutating func readUInt64() throws(WireError) -> UInt64 {
    guard remaining >= 8 else { throw .truncated(needed: 8, available: remaining) }
    var v: UInt64 = 0
    for i in 0..<8 { v = (v << 8) | UInt64(bytes[offset + i]) }
    offset += 8
    return v
  }

  /// Reads a `string` (uint32 length + bytes) as raw bytes.
  public mutating func readString() throws(WireError) -> [UInt8] {
    let length = try readUInt32()
    guard Int(length) <= remaining else {
      throw .truncated(needed: Int(length), available: remaining)
    }
    return try readBytes(Int(length))
  }

  /// Reads a `string` that must be UTF-8 text.
  public mutating func readUTF8() throws(WireError) -> String {
    let raw = try readString()
    guard let s = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8 }
    return s
  }

  /// Reads an `mpint` that must be non-negative, returning its magnitude without the sign byte.
  ///
  /// Rejects non-canonical encodings (RFC 4251 §5: no needless leading 0x00 or 0xff), so decode then encode gives the
  /// same bytes. Zero is returned as an empty array.
  public mutating func readPositiveMPInt() throws(WireError) -> [UInt8] {
    // Read in place rather than through readString: the magnitude is often secret (private exponents, primes),
    // and an intermediate copy with the sign byte would be freed without being wiped.
    var probe = self
    let length = Int(try probe.readUInt32())
    guard length <= probe.remaining else { throw .truncated(needed: length, available: probe.remaining) }
    let start = probe.offset
    guard length > 0 else {
      self = probe
      return []
    }
    let first = bytes[start]
    if first & 0x80 != 0 { throw .nonCanonicalMPInt }
    var skip = 0
    if first == 0 {
      // A leading zero is only allowed when the next byte has its top bit set.
      guard length >= 2, bytes[start + 1] & 0x80 != 0 else { throw .nonCanonicalMPInt }
      skip = 1
    }
    let out = Array(bytes[(start + skip)..<(start + length)])
    offset = start + length
    return out
  }

  /// Reads a `name-list` (comma-separated US-ASCII names).
  public mutating func readNameList() throws(WireError) -> [String] {
    let raw = try readString()
    if raw.isEmpty { return [] }
    guard raw.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { throw .invalidValue("name-list is not printable ASCII") }
    let names = raw.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map {
      String(decoding: $0, as: UTF8.self)
    }
    guard !names.contains(where: \.isEmpty) else { throw .invalidValue("empty name in name-list") }
    return names
  }

  /// Reads every byte that is left.
  public mutating func readRest() -> [UInt8] {
    let out = Array(bytes[offset...])
    offset = bytes.count
    return out
  }

  /// Throws unless every byte has been read.
  public func expectEnd() throws(WireError) {
    if remaining != 0 { throw .trailingBytes(remaining) }
  }
}
