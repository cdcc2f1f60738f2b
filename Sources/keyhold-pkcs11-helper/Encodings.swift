import COpenSSL
import SSHWire

/// The DER that PKCS #11 puts in CKA_EC_PARAMS and CKA_EC_POINT (Current Mechanisms Specification 2.40 §2.3.3).
enum ECParameters {
  /// The named curve of a DER `ECParameters` (an OBJECT IDENTIFIER; RFC 5480 §2.1.1.1), for the curves SSH uses.
  static func curve(_ der: [UInt8]) -> PublicKeyBlob.Curve? {
    switch der {
    case [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]: return .nistp256
    case [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]: return .nistp384
    case [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]: return .nistp521
    default: return nil
    }
  }

  /// The uncompressed point in a CKA_EC_POINT: the spec's DER OCTET STRING around it, or (as some providers return)
  /// the bare point.
  static func point(_ value: [UInt8], curve: PublicKeyBlob.Curve) -> [UInt8]? {
    if let inner = DER.octetString(value), inner.count == curve.pointBytes, inner.first == 0x04 { return inner }
    if value.count == curve.pointBytes, value.first == 0x04 { return value }
    return nil
  }
}

/// ECDSA signatures from C_Sign with CKM_ECDSA: r ‖ s, each as long as the curve's order (Current Mechanisms
/// Specification 2.40 §2.3.1), or a DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3) from providers that return one.
enum ECDSASignature {
  static func values(_ raw: [UInt8], fieldBytes: Int) -> SignatureBlob.ECDSAValues? {
    let values: SignatureBlob.ECDSAValues
    if raw.count == 2 * fieldBytes {
      values = SignatureBlob.ECDSAValues(r: Array(raw.prefix(fieldBytes)), s: Array(raw.suffix(fieldBytes)))
    } else if let (r, s) = DER.integerPair(raw) {
      values = SignatureBlob.ECDSAValues(r: r, s: s)
    } else {
      return nil
    }
    guard !values.r.isEmpty, !values.s.isEmpty, values.r.count <= fieldBytes, values.s.count <= fieldBytes else {
      return nil
    }
    return values
  }
}

/// Just enough DER reading (X.690 §8.1) for an OCTET STRING and a SEQUENCE of two INTEGERs.
enum DER {
  /// Reads one tag-length-value at `offset`; returns the value's range and the offset after it.
  static func element(_ bytes: [UInt8], at offset: Int, tag: UInt8) -> (Range<Int>, Int)? {
    guard offset + 2 <= bytes.count, bytes[offset] == tag else { return nil }
    var index = offset + 1
    var length = Int(bytes[index])
    index += 1
    if length & 0x80 != 0 {
      let count = length & 0x7f
      guard count >= 1, count <= 2, index + count <= bytes.count else { return nil }
      length = bytes[index..<index + count].reduce(0) { $0 << 8 | Int($1) }
      index += count
    }
    guard index + length <= bytes.count else { return nil }
    return (index..<index + length, index + length)
  }

  /// The contents of a DER OCTET STRING that fills `bytes` exactly.
  static func octetString(_ bytes: [UInt8]) -> [UInt8]? {
    guard let (range, end) = element(bytes, at: 0, tag: 0x04), end == bytes.count else { return nil }
    return Array(bytes[range])
  }

  /// The two non-negative INTEGERs of a DER SEQUENCE that fills `bytes` exactly, as magnitudes.
  static func integerPair(_ bytes: [UInt8]) -> ([UInt8], [UInt8])? {
    guard let (seq, end) = element(bytes, at: 0, tag: 0x30), end == bytes.count,
      let (first, next) = element(bytes, at: seq.lowerBound, tag: 0x02),
      let (second, last) = element(bytes, at: next, tag: 0x02), last == seq.upperBound,
      !first.isEmpty, !second.isEmpty, bytes[first.lowerBound] & 0x80 == 0, bytes[second.lowerBound] & 0x80 == 0
    else { return nil }
    return (stripZeros(Array(bytes[first])), stripZeros(Array(bytes[second])))
  }
}

/// The message digests the signature schemes need, from OpenSSL.
enum Digest {
  enum Kind {
    case sha1, sha256, sha384, sha512
  }

  static func hash(_ kind: Kind, _ data: [UInt8]) throws(HelperFailure) -> [UInt8] {
    let md: OpaquePointer?
    switch kind {
    case .sha1: md = EVP_sha1()
    case .sha256: md = EVP_sha256()
    case .sha384: md = EVP_sha384()
    case .sha512: md = EVP_sha512()
    }
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    // An empty array has no base address; EVP_Digest wants a pointer even for zero bytes.
    let input = data.isEmpty ? [0] : data
    let ok = input.withUnsafeBytes { d in
      out.withUnsafeMutableBufferPointer { o in
        EVP_Digest(d.baseAddress, data.count, o.baseAddress, &length, md, nil)
      }
    }
    guard ok == 1, length > 0 else {
      throw HelperFailure(code: HelperFailure.signFailed, message: "the message digest failed")
    }
    return Array(out.prefix(Int(length)))
  }
}
