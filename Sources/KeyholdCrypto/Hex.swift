/// Base 16 (RFC 4648 §8): lower-case encoding, strict decoding.
public enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  /// Lower-case hex of `bytes`, two digits a byte, with `separator` (e.g. `:` for colon hex fingerprints) between
  /// bytes when given.
  public static func encode<C: Collection>(_ bytes: C, separator: Character? = nil) -> String
  where C.Element == UInt8 {
    let sep = separator.map { Array(String($0).utf8) } ?? []
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * (2 + sep.count))
    for (i, b) in bytes.enumerated() {
      if i > 0 { out.append(contentsOf: sep) }
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes lower-case hex with no separators; nil on an odd length or any other character (upper-case digits
  /// included: keyhold writes lower case, and a canonical form has one spelling).
  public static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
      default: return nil
      }
    }
    var out = [UInt8]()
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
      guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
      out.append(hi << 4 | lo)
      i += 2
    }
    return out
  }
}
