/// The stable identity of a vault entry: 16 random bytes, kept across renames.
public struct VaultEntryID: Hashable, Sendable, CustomStringConvertible {
  /// Size of an id in bytes.
  public static let byteCount = 16
  /// The raw id.
  public let bytes: [UInt8]

  /// Wraps raw bytes; nil unless exactly ``byteCount`` long.
  public init?(bytes: [UInt8]) {
    guard bytes.count == Self.byteCount else { return nil }
    self.bytes = bytes
  }

  /// Parses the 32-digit lowercase hex form (``description``).
  public init?(hex: String) {
    let digits = Array(hex.utf8)
    guard digits.count == 2 * Self.byteCount else { return nil }
    var out = [UInt8]()
    for i in stride(from: 0, to: digits.count, by: 2) {
      guard let hi = Self.nibble(digits[i]), let lo = Self.nibble(digits[i + 1]) else { return nil }
      out.append(hi << 4 | lo)
    }
    bytes = out
  }

  /// The lowercase hex form.
  public var description: String {
    let hex = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for b in bytes {
      out.append(hex[Int(b >> 4)])
      out.append(hex[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    default: return nil
    }
  }
}
