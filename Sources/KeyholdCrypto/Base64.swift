/// Standard base64 (RFC 4648 §4) as used in PEM bodies, `.pub` lines, RFC 4716 files, OpenSSH's `SHA256:`
/// fingerprints (unpadded) and EC2's `PublicKeyMaterial`: keyhold's only base64 codec.
///
/// Hand-written rather than Foundation's so decoding is strict (canonical padding, no stray characters) and the
/// decoded secret can be wiped by the caller.
public enum Base64 {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  private static let decodeTable: [UInt8] = {
    var t = [UInt8](repeating: 0xff, count: 256)
    for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
    return t
  }()

  /// Encodes `bytes`, with `=` padding unless `padded` is false (OpenSSH's `SHA256:` fingerprints drop it).
  public static func encode<C: Collection>(_ bytes: C, padded: Bool = true) -> String where C.Element == UInt8 {
    var out = encodedBytes(bytes)
    if !padded {
      while out.last == UInt8(ascii: "=") { out.removeLast() }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Encodes `bytes` with `=` padding as ASCII bytes, in one buffer of exactly the final size, so a caller encoding
  /// a secret can wipe the only copy.
  public static func encodedBytes<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
    var out = [UInt8]()
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var it = bytes.makeIterator()
    while let a = it.next() {
      let b = it.next()
      let c = it.next()
      let n = UInt32(a) << 16 | UInt32(b ?? 0) << 8 | UInt32(c ?? 0)
      out.append(alphabet[Int(n >> 18)])
      out.append(alphabet[Int((n >> 12) & 63)])
      out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int((n >> 6) & 63)])
      out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(n & 63)])
    }
    return out
  }

  /// Decodes base64, skipping ASCII whitespace when `ignoringWhitespace` is set. Returns nil on any other stray
  /// character, on a length that is not a whole number of quanta, or on padding anywhere but the end. Unpadded
  /// input is accepted when `requirePadding` is false (some tools strip the `=`).
  public static func decode<C: Collection>(
    _ text: C, ignoringWhitespace: Bool = false, requirePadding: Bool = true
  ) -> [UInt8]? where C.Element == UInt8 {
    var out = [UInt8]()
    // Room for the largest possible result (unpadded input may end in a partial quantum), so the buffer never
    // grows: growing would free a partial copy of a decoded secret without wiping it.
    out.reserveCapacity((text.count + 3) / 4 * 3)
    var quantum: UInt32 = 0
    var filled = 0
    var padding = 0
    for c in text {
      if c == UInt8(ascii: "=") {
        padding += 1
        guard padding <= 2 else { return nil }
        continue
      }
      if c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d {
        guard ignoringWhitespace else { return nil }
        continue
      }
      let v = decodeTable[Int(c)]
      guard v != 0xff, padding == 0 else { return nil }
      quantum = quantum << 6 | UInt32(v)
      filled += 1
      if filled == 4 {
        out.append(UInt8(quantum >> 16))
        out.append(UInt8((quantum >> 8) & 0xff))
        out.append(UInt8(quantum & 0xff))
        quantum = 0
        filled = 0
      }
    }
    switch filled {
    case 0:
      guard padding == 0 else { return nil }
    case 2:
      guard padding == 2 || (!requirePadding && padding == 0) else { return nil }
      guard quantum & 0xf == 0 else { return nil }  // non-canonical trailing bits
      out.append(UInt8(quantum >> 4))
    case 3:
      guard padding == 1 || (!requirePadding && padding == 0) else { return nil }
      guard quantum & 0x3 == 0 else { return nil }
      out.append(UInt8(quantum >> 10))
      out.append(UInt8((quantum >> 2) & 0xff))
    default:
      return nil
    }
    return out
  }
}
