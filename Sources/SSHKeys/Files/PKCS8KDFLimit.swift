import KeyholdCrypto

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
    var outer = DERReader(der)
    guard let info = outer.next(), info.tag == DERReader.sequence else { return }
    var fields = DERReader(info.content)
    guard let algorithm = fields.next(), algorithm.tag == DERReader.sequence else { return }
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
    var scanner = DERReader(content)
    while let element = scanner.next() {
      switch element.tag {
      case DERReader.integer:
        integers.append(DERReader.unsignedValue(element.content))
      case DERReader.objectIdentifier:
        if element.content.elementsEqual(scryptOID) { scryptAt = integers.count }
      default:
        if element.tag & 0x20 != 0 {
          collect(element.content, integers: &integers, scryptAt: &scryptAt, depth: depth + 1)
        }
      }
    }
  }
}
