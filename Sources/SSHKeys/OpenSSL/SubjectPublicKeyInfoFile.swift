import COpenSSL
import KeyholdCrypto
import SSHWire

/// X.509 SubjectPublicKeyInfo public keys (RFC 5280 §4.1.2.7), as PEM `PUBLIC KEY` blocks (RFC 7468 §13) or raw
/// DER: what `openssl pkey -pubout` writes and what AWS's `md5-spki` fingerprint is computed over.
enum SubjectPublicKeyInfoFile {
  /// True when `der` is exactly one `SEQUENCE { SEQUENCE (algorithm), BIT STRING }`, the shape of a
  /// SubjectPublicKeyInfo. Private key structures never match: PKCS#1, SEC1 and PKCS#8 start with an INTEGER, and
  /// an EncryptedPrivateKeyInfo's second element is an OCTET STRING.
  static func matches(_ der: [UInt8]) -> Bool {
    var outer = DERReader(der)
    guard let info = outer.next(), info.tag == 0x30, outer.next() == nil, info.content.endIndex == der.endIndex else {
      return false
    }
    var fields = DERReader(info.content)
    guard let algorithm = fields.next(), algorithm.tag == 0x30, let key = fields.next(), key.tag == 0x03 else {
      return false
    }
    return fields.next() == nil
  }

  /// Decodes a DER SubjectPublicKeyInfo with OpenSSL and converts it to an SSH public key.
  static func parse(der: [UInt8], label: String) throws(KeyError) -> ParsedKeyFile {
    guard matches(der) else {
      throw .malformed("\(label) is not a SubjectPublicKeyInfo (SEQUENCE of algorithm and BIT STRING)")
    }
    ERR_clear_error()
    var consumed = 0
    let decoded: OpaquePointer? = der.withUnsafeBufferPointer { buf in
      var cursor = buf.baseAddress
      let key = d2i_PUBKEY(nil, &cursor, buf.count)
      if let cursor, let base = buf.baseAddress { consumed = cursor - base }
      return key
    }
    guard let decoded else {
      let errors = OpenSSLDecode.drainErrors()
      // A key of an algorithm keyhold holds did not decode: damage. Any other algorithm (OpenSSL names no reason
      // but "decode error" for OIDs it lacks) is a key type keyhold cannot hold, whether or not it is well formed.
      let oid = algorithmOID(der)
      if let oid, !supportedOIDs.contains(oid) {
        throw .unsupportedKeyType(knownUnsupported[oid] ?? "public key algorithm \(oid)")
      }
      throw .malformed("cannot decode \(label): \(errors.last?.reason ?? "not a valid public key")")
    }
    ERR_clear_error()
    let pkey = EVPKey(owning: decoded)
    guard consumed == der.count else { throw .malformed("\(label) has trailing bytes") }
    let key = try PublicKey(blob: blob(of: pkey.pointer).encoded())
    return ParsedKeyFile(key: .publicKey(key), comment: "", container: .spki, wasEncrypted: false)
  }

  /// The SSH public key structure of a decoded RSA, EC or Ed25519 key.
  static func blob(of pkey: OpaquePointer) throws(KeyError) -> PublicKeyBlob {
    switch try EVP.keyType(pkey) {
    case .ed25519:
      return .ed25519(publicKey: try EVP.rawPublicKey(pkey))
    case .ec:
      // Keys with explicit curve parameters have no group name; keyhold holds only the named NIST curves.
      guard let group = try? EVP.textParam(pkey, "group") else {
        throw .unsupportedKeyType("ecdsa with explicit curve parameters")
      }
      guard let curve = EVP.curve(groupName: group) else { throw .unsupportedKeyType("ecdsa on curve \(group)") }
      // Rebuild Q from its coordinates: the SubjectPublicKeyInfo may hold it compressed (RFC 5480 §2.2).
      let x = try EVP.numberParam(pkey, "qx", width: curve.fieldBytes)
      let y = try EVP.numberParam(pkey, "qy", width: curve.fieldBytes)
      return .ecdsa(curve: curve, point: [0x04] + x + y)
    case .rsa:
      return .rsa(e: try EVP.numberParam(pkey, "e"), n: try EVP.numberParam(pkey, "n"))
    }
  }

  /// rsaEncryption (RFC 8017 appendix C), id-ecPublicKey (RFC 5480 §2.1.1), id-Ed25519 (RFC 8410 §3).
  static let supportedOIDs: Set<String> = ["1.2.840.113549.1.1.1", "1.2.840.10045.2.1", "1.3.101.112"]

  /// Algorithms keyhold refuses, named as the rest of ``KeyFile`` names them.
  static let knownUnsupported: [String: String] = [
    "1.2.840.10040.4.1": "ssh-dss", "1.3.101.113": "ED448", "1.3.101.110": "X25519", "1.3.101.111": "X448",
  ]

  /// The dotted algorithm OID of a SubjectPublicKeyInfo (X.690 §8.19), for naming an algorithm OpenSSL lacks.
  static func algorithmOID(_ der: [UInt8]) -> String? {
    var outer = DERReader(der)
    guard let info = outer.next() else { return nil }
    var fields = DERReader(info.content)
    guard let algorithm = fields.next() else { return nil }
    var inner = DERReader(algorithm.content)
    guard let oid = inner.next(), oid.tag == 0x06, let first = oid.content.first, first & 0x80 == 0 else {
      return nil
    }
    var arcs = [first < 80 ? UInt64(first / 40) : 2, first < 80 ? UInt64(first % 40) : UInt64(first - 80)]
    var value: UInt64 = 0
    for b in oid.content.dropFirst() {
      guard value < UInt64(1) << 56 else { return nil }
      value = value << 7 | UInt64(b & 0x7f)
      if b & 0x80 == 0 {
        arcs.append(value)
        value = 0
      }
    }
    guard value == 0, oid.content.last.map({ $0 & 0x80 == 0 }) == true else { return nil }
    return arcs.map(String.init).joined(separator: ".")
  }
}
