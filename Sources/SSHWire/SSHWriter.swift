/// A writer of the SSH data types of RFC 4251 section 5, the inverse of ``SSHReader``.
public struct SSHWriter: Sendable {
  /// The bytes written so far.
  public private(set) var bytes: [UInt8]

  /// Creates an empty writer, reserving `capacity` bytes.
  public init(capacity: Int = 64) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  /// Appends raw bytes.
  public mutating func writeBytes<C: Collection>(_ raw: C) where C.Element == UInt8 {
    bytes.append(contentsOf: raw)
  }

  /// Appends one `byte`.
  public mutating func writeByte(_ b: UInt8) { bytes.append(b) }

  /// Appends a `boolean`.
  public mutating func writeBool(_ b: Bool) { bytes.append(b ? 1 : 0) }

  /// Appends a big-endian `uint32`.
  public mutating func writeUInt32(_ v: UInt32) {
    bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    bytes.append(UInt8(truncatingIfNeeded: v >> 16))
    bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    bytes.append(UInt8(truncatingIfNeeded: v))
  }

  /// Appends a big-endian `uint64`.
  public mutating func writeUInt64(_ v: UInt64) {
    for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
  }

  /// Appends a `string` (uint32 length + bytes).
  public mutating func writeString<C: Collection>(_ raw: C) where C.Element == UInt8 {
    writeUInt32(UInt32(raw.count))
    bytes.append(contentsOf: raw)
  }

  /// Appends a UTF-8 `string`.
  public mutating func writeString(_ s: String) { writeString(Array(s.utf8)) }

  /// Appends a non-negative `mpint` given its big-endian magnitude (leading zeros are stripped, a sign byte added
  /// when the top bit is set), in the canonical form of RFC 4251 §5.
  public mutating func writePositiveMPInt<C: Collection>(_ magnitude: C) where C.Element == UInt8 {
    var m = magnitude[...]
    while let f = m.first, f == 0 { m = m.dropFirst() }
    if let f = m.first, f & 0x80 != 0 {
      writeUInt32(UInt32(m.count + 1))
      bytes.append(0)
    } else {
      writeUInt32(UInt32(m.count))
    }
    bytes.append(contentsOf: m)
  }

  /// Appends a `name-list`.
  public mutating func writeNameList(_ names: [String]) { writeString(names.joined(separator: ",")) }
}
