/// The little DER (X.690 §8, §10) keyhold writes itself: a SEQUENCE of INTEGERs, as in PKCS#1 RSAPrivateKey
/// (RFC 8017 §A.1.2) and ECDSA-Sig-Value (RFC 3279 §2.2.3). keyhold's only DER writer.
public enum DERWriter {
  /// `SEQUENCE { INTEGER version, INTEGER m1, ... }` from non-negative big-endian magnitudes, built in one buffer of
  /// exactly its final size (it holds secrets: a growing buffer would leave copies behind; the caller wipes it).
  public static func sequenceOfIntegers(version: UInt8, _ magnitudes: [[UInt8]]) -> [UInt8] {
    sequenceOfIntegers([[version]] + magnitudes)
  }

  /// `SEQUENCE { INTEGER m1, INTEGER m2, ... }` from non-negative big-endian magnitudes (leading zeros dropped, a
  /// 0x00 added where the top bit is set), built in one buffer of exactly its final size.
  public static func sequenceOfIntegers(_ magnitudes: [[UInt8]]) -> [UInt8] {
    func stripped(_ m: [UInt8]) -> ArraySlice<UInt8> {
      let s = m.drop(while: { $0 == 0 })
      return s.isEmpty ? [0][...] : s  // zero is one 0x00 content byte
    }
    func needsPad(_ m: ArraySlice<UInt8>) -> Bool { (m.first ?? 0) & 0x80 != 0 }
    func contentLength(_ m: ArraySlice<UInt8>) -> Int { m.count + (needsPad(m) ? 1 : 0) }
    func headerLength(_ length: Int) -> Int {
      var n = 1
      if length >= 0x80 {
        var l = length
        while l > 0 {
          n += 1
          l >>= 8
        }
      }
      return 1 + n
    }
    let ints = magnitudes.map(stripped)
    let body = ints.reduce(0) { $0 + headerLength(contentLength($1)) + contentLength($1) }
    var out = [UInt8]()
    out.reserveCapacity(headerLength(body) + body)
    func header(_ tag: UInt8, _ length: Int) {
      out.append(tag)
      if length < 0x80 {
        out.append(UInt8(length))
        return
      }
      var bytes: [UInt8] = []
      var l = length
      while l > 0 {
        bytes.insert(UInt8(l & 0xff), at: 0)
        l >>= 8
      }
      out.append(0x80 | UInt8(bytes.count))
      out.append(contentsOf: bytes)
    }
    header(0x30, body)
    for m in ints {
      header(0x02, contentLength(m))
      if needsPad(m) { out.append(0) }
      out.append(contentsOf: m)
    }
    return out
  }
}
