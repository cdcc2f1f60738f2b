/// Bounds the key-derivation work an encrypted PKCS#8 file (RFC 5958 §3 `EncryptedPrivateKeyInfo`) may demand
/// before OpenSSL runs it.
///
/// OpenSSL applies whatever PBKDF2 iteration count (RFC 8018 §A.2) or scrypt cost (RFC 7914 §7.1) the file names:
/// a count of 2^31 keeps one decode busy for hours. The algorithm identifier is walked here first and every INTEGER
/// in it (iteration counts, key lengths, scrypt N, r and p) must stay within the limit, as must scrypt's N·r·p.
/// Anything that is not well-formed DER is left for OpenSSL to reject with its own error.
enum PKCS8KDFLimit {
  /// `id-scrypt` (1.3.6.1.4.1.11591.4.11), content octets.
  static let scryptOID: [UInt8] = [0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b]

  /// Throws ``KeyError/malformed(_:)`` when `der`, an `EncryptedPrivateKeyInfo`, asks for more than `maxWork`.
  static func check(_ der: [UInt8], maxWork: Int) throws(KeyError) {
    var outer = DERScanner(der[...])
    guard let info = outer.next(), info.tag == 0x30 else { return }
    var fields = DERScanner(info.content)
    guard let algorithm = fields.next(), algorithm.tag == 0x30 else { return }
    var integers: [UInt64] = []
    var scryptAt: Int? = nil
    collect(algorithm.content, integers: &integers, scryptAt: &scryptAt, depth: 0)
    let limit = UInt64(max(maxWork, 1))
    if let big = integers.first(where: { $0 > limit }) {
      throw .malformed(
        "encrypted PKCS#8 key derivation asks for \(big == .max ? "over 2^64" : String(big)) iterations; "
          + "at most \(limit) are accepted")
    }
    if let at = scryptAt, integers.count >= at + 3 {
      let (nr, o1) = integers[at].multipliedReportingOverflow(by: integers[at + 1])
      let (cost, o2) = nr.multipliedReportingOverflow(by: integers[at + 2])
      guard !o1, !o2, cost <= limit else {
        throw .malformed("encrypted PKCS#8 scrypt cost N*r*p exceeds \(limit)")
      }
    }
  }

  /// Walks constructed elements depth-first, recording INTEGER values (saturating at `UInt64.max`) and where the
  /// integers that follow the scrypt OID start.
  private static func collect(
    _ content: ArraySlice<UInt8>, integers: inout [UInt64], scryptAt: inout Int?, depth: Int
  ) {
    guard depth < 16 else { return }
    var scanner = DERScanner(content)
    while let element = scanner.next() {
      switch element.tag {
      case 0x02:
        var value: UInt64 = 0
        var saturated = false
        for b in element.content.drop(while: { $0 == 0 }) {
          if value > UInt64.max >> 8 { saturated = true }
          value = value &<< 8 | UInt64(b)
        }
        integers.append(saturated ? .max : value)
      case 0x06:
        if element.content.elementsEqual(scryptOID) { scryptAt = integers.count }
      default:
        if element.tag & 0x20 != 0 {
          collect(element.content, integers: &integers, scryptAt: &scryptAt, depth: depth + 1)
        }
      }
    }
  }
}

/// A minimal total reader of DER TLVs (X.690 §8.1): single-byte tags, definite lengths of at most four bytes.
/// `next()` returns nil at the end or at the first malformed element.
struct DERScanner {
  private var rest: ArraySlice<UInt8>

  init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

  mutating func next() -> (tag: UInt8, content: ArraySlice<UInt8>)? {
    guard rest.count >= 2 else { return nil }
    var i = rest.startIndex
    let tag = rest[i]
    guard tag & 0x1f != 0x1f else { return nil }
    i += 1
    var length = Int(rest[i])
    i += 1
    if length & 0x80 != 0 {
      let n = length & 0x7f
      guard n >= 1, n <= 4, rest.endIndex - i >= n else { return nil }
      length = 0
      for _ in 0..<n {
        length = length << 8 | Int(rest[i])
        i += 1
      }
    }
    guard length <= rest.endIndex - i else { return nil }
    let content = rest[i..<(i + length)]
    rest = rest[(i + length)...]
    return (tag, content)
  }
}
