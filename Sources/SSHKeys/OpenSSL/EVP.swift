import COpenSSL
import KeyholdCrypto
import SSHWire

/// Small, typed wrappers over the OpenSSL 3 EVP and BIGNUM calls the key model needs. The key model's OpenSSL calls
/// live in SSHKeys' `OpenSSL` folder; digests are KeyholdCrypto's ``Digest``.
enum EVP {
  /// Turns the OpenSSL error queue into a `KeyError` (and empties the queue, which is per thread).
  static func failure(_ context: String) -> KeyError {
    let code = ERR_get_error()
    var detail = ""
    if code != 0 {
      var buf = [CChar](repeating: 0, count: 256)
      ERR_error_string_n(code, &buf, buf.count)
      detail = ": " + String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    ERR_clear_error()
    return .cryptoFailure(context + detail)
  }

  /// The key types keyhold holds, as OpenSSL names them.
  enum KeyType: Sendable { case rsa, ec, ed25519 }

  /// The one dispatch on an `EVP_PKEY`'s type: what keyhold holds, or ``KeyError/unsupportedKeyType(_:)`` naming
  /// the type as SSH does where it can (DSA is `ssh-dss`).
  static func keyType(_ pkey: OpaquePointer) throws(KeyError) -> KeyType {
    if EVP_PKEY_is_a(pkey, "RSA") == 1 { return .rsa }
    if EVP_PKEY_is_a(pkey, "EC") == 1 { return .ec }
    if EVP_PKEY_is_a(pkey, "ED25519") == 1 { return .ed25519 }
    if EVP_PKEY_is_a(pkey, "DSA") == 1 { throw .unsupportedKeyType("ssh-dss") }
    if let name = EVP_PKEY_get0_type_name(pkey) { throw .unsupportedKeyType(String(cString: name)) }
    throw .unsupportedKeyType("unknown OpenSSL key type")
  }

  /// Throws when OpenSSL's secure heap is enabled and has less than `bytes` free: OpenSSL 3.0 does not fall back to
  /// the ordinary heap, so a key built into a full arena would fail half-way.
  static func requireSecureHeapRoom(_ bytes: Int = OpenSSLSecureHeap.keyHeadroom) throws(KeyError) {
    let status = OpenSSLSecureHeap.status
    guard !OpenSSLSecureHeap.hasRoom(status, for: bytes) else { return }
    throw .cryptoFailure(
      "openssl secure heap is full (\(status.used) of \(status.size) bytes used); start with a larger heap or hold "
        + "fewer keys")
  }

  // MARK: - Big numbers

  /// An owned `BIGNUM *`, cleared and freed on release.
  final class BigNum {
    let pointer: OpaquePointer

    /// Zero.
    init() throws(KeyError) {
      guard let p = BN_new() else { throw EVP.failure("BN_new") }
      pointer = p
    }

    /// From a big-endian magnitude.
    init(_ magnitude: [UInt8]) throws(KeyError) {
      let p = magnitude.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
      guard let p else { throw EVP.failure("BN_bin2bn") }
      pointer = p
    }

    /// From the big-endian magnitude of a secret, in OpenSSL's secure heap when it is enabled. The flag travels:
    /// `OSSL_PARAM_BLD` copies a secure number into secure memory and the key built from it keeps it there.
    init(secret magnitude: [UInt8]) throws(KeyError) {
      guard let p = BN_secure_new() else { throw EVP.failure("BN_secure_new") }
      let ok = magnitude.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), p) != nil }
      guard ok else {
        BN_clear_free(p)
        throw EVP.failure("BN_bin2bn")
      }
      BN_set_flags(p, Int32(BN_FLG_CONSTTIME))
      pointer = p
    }

    /// A secret zero, to receive a computed secret (in the secure heap when it is enabled).
    init(secretZero: ()) throws(KeyError) {
      guard let p = BN_secure_new() else { throw EVP.failure("BN_secure_new") }
      BN_set_flags(p, Int32(BN_FLG_CONSTTIME))
      pointer = p
    }

    /// Takes ownership of `pointer`.
    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { BN_clear_free(pointer) }

    /// Number of significant bits.
    var bitCount: Int { Int(BN_num_bits(pointer)) }

    /// The big-endian magnitude without leading zeros (empty for zero).
    var magnitude: [UInt8] {
      let n = (bitCount + 7) / 8
      var out = [UInt8](repeating: 0, count: n)
      if n > 0 { _ = out.withUnsafeMutableBufferPointer { BN_bn2bin(pointer, $0.baseAddress) } }
      return out
    }

    /// True when the value is one.
    var isOne: Bool { BN_is_one(pointer) == 1 }

    /// Three-way comparison.
    static func compare(_ a: BigNum, _ b: BigNum) -> Int32 { BN_cmp(a.pointer, b.pointer) }
  }

  /// A `BN_CTX` for a few arithmetic steps.
  final class BigNumContext {
    let pointer: OpaquePointer
    init() throws(KeyError) {
      guard let p = BN_CTX_new() else { throw EVP.failure("BN_CTX_new") }
      pointer = p
    }
    deinit { BN_CTX_free(pointer) }

    func mul(_ a: BigNum, _ b: BigNum) throws(KeyError) -> BigNum {
      let r = try BigNum()
      guard BN_mul(r.pointer, a.pointer, b.pointer, pointer) == 1 else { throw EVP.failure("BN_mul") }
      return r
    }

    /// `a - 1` (a secret number: p − 1 and q − 1 reveal the factors).
    func minusOne(_ a: BigNum) throws(KeyError) -> BigNum {
      let r = try BigNum(secretZero: ())
      guard BN_sub(r.pointer, a.pointer, BN_value_one()) == 1 else { throw EVP.failure("BN_sub") }
      return r
    }

    /// `a mod m`, non-negative, as a secret number (it computes the CRT exponents).
    func mod(_ a: BigNum, _ m: BigNum) throws(KeyError) -> BigNum {
      let r = try BigNum(secretZero: ())
      guard BN_nnmod(r.pointer, a.pointer, m.pointer, pointer) == 1 else { throw EVP.failure("BN_nnmod") }
      return r
    }

    /// `a * b mod m`.
    func modMul(_ a: BigNum, _ b: BigNum, _ m: BigNum) throws(KeyError) -> BigNum {
      let r = try BigNum()
      guard BN_mod_mul(r.pointer, a.pointer, b.pointer, m.pointer, pointer) == 1 else {
        throw EVP.failure("BN_mod_mul")
      }
      return r
    }
  }

  // MARK: - Building keys from components

  /// Collects `OSSL_PARAM`s for `EVP_PKEY_fromdata`, keeping every referenced buffer alive until the build.
  final class ParamBuilder {
    private let builder: OpaquePointer
    private var numbers: [BigNum] = []
    private var buffers: [UnsafeMutableRawPointer] = []
    private var sizes: [Int] = []

    init() throws(KeyError) {
      guard let b = OSSL_PARAM_BLD_new() else { throw EVP.failure("OSSL_PARAM_BLD_new") }
      builder = b
    }

    deinit {
      OSSL_PARAM_BLD_free(builder)
      for (p, n) in zip(buffers, sizes) {
        OPENSSL_cleanse(p, n)
        free(p)
      }
    }

    /// A C copy of a parameter name: the builder keeps the key pointer, not the characters.
    private func key(_ name: String) -> UnsafeMutablePointer<CChar> {
      let p = strdup(name)!
      buffers.append(UnsafeMutableRawPointer(p))
      sizes.append(name.utf8.count + 1)
      return p
    }

    func number(_ name: String, _ value: BigNum) throws(KeyError) {
      numbers.append(value)
      guard OSSL_PARAM_BLD_push_BN(builder, key(name), value.pointer) == 1 else { throw EVP.failure("push \(name)") }
    }

    func octets(_ name: String, _ value: [UInt8]) throws(KeyError) {
      let p = malloc(max(value.count, 1))!
      value.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
      buffers.append(p)
      sizes.append(max(value.count, 1))
      guard OSSL_PARAM_BLD_push_octet_string(builder, key(name), p, value.count) == 1 else {
        throw EVP.failure("push \(name)")
      }
    }

    func text(_ name: String, _ value: String) throws(KeyError) {
      let p = strdup(value)!
      buffers.append(UnsafeMutableRawPointer(p))
      sizes.append(value.utf8.count + 1)
      guard OSSL_PARAM_BLD_push_utf8_string(builder, key(name), p, 0) == 1 else { throw EVP.failure("push \(name)") }
    }

    /// Builds a key of OpenSSL type `type` ("RSA", "EC") from the collected parameters.
    func makeKey(type: String, selection: Int32) throws(KeyError) -> EVPKey {
      guard let params = OSSL_PARAM_BLD_to_param(builder) else { throw EVP.failure("OSSL_PARAM_BLD_to_param") }
      defer {
        // Private numbers were copied into the parameter array: wipe it before freeing (3.0 has no clear_free).
        var p = params
        while p.pointee.key != nil {
          if let data = p.pointee.data, p.pointee.data_size > 0 { OPENSSL_cleanse(data, p.pointee.data_size) }
          p += 1
        }
        OSSL_PARAM_free(params)
      }
      guard let ctx = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { throw EVP.failure("new \(type) context") }
      defer { EVP_PKEY_CTX_free(ctx) }
      var pkey: OpaquePointer? = nil
      guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &pkey, selection, params) == 1,
        let pkey
      else { throw EVP.failure("\(type) key from components") }
      return EVPKey(owning: pkey)
    }
  }

  /// OpenSSL's group name for an SSH curve.
  static func groupName(_ curve: PublicKeyBlob.Curve) -> String {
    switch curve {
    case .nistp256: return "P-256"
    case .nistp384: return "P-384"
    case .nistp521: return "P-521"
    }
  }

  /// The SSH curve for an OpenSSL group name (either spelling).
  static func curve(groupName: String) -> PublicKeyBlob.Curve? {
    switch groupName {
    case "P-256", "prime256v1", "secp256r1": return .nistp256
    case "P-384", "secp384r1": return .nistp384
    case "P-521", "secp521r1": return .nistp521
    default: return nil
    }
  }

  /// An RSA public key from `n` and `e`.
  static func rsaPublicKey(n: [UInt8], e: [UInt8]) throws(KeyError) -> EVPKey {
    let b = try ParamBuilder()
    try b.number("n", BigNum(n))
    try b.number("e", BigNum(e))
    return try b.makeKey(type: "RSA", selection: keyhold_EVP_PKEY_PUBLIC_KEY())
  }

  /// An RSA private key from the OpenSSH components, with the CRT exponents computed, after checking that the
  /// components belong together: n = p·q, iqmp·q ≡ 1 (mod p), e·d ≡ 1 (mod p−1) and (mod q−1).
  ///
  /// p and q keep their order (OpenSSL "rsa-factor1" = p), so PKCS#8 output matches the container the key came from.
  /// With `checked` false (a key keyhold checked at import, read back from authenticated storage) the three
  /// relations are not re-proved; the CRT exponents are computed either way.
  static func rsaPrivateKey(
    n: [UInt8], e: [UInt8], d: [UInt8], iqmp: [UInt8], p: [UInt8], q: [UInt8], checked: Bool = true
  ) throws(KeyError) -> EVPKey {
    try requireSecureHeapRoom()
    let ctx = try BigNumContext()
    let bn = try BigNum(n)
    let be = try BigNum(e)
    let bd = try BigNum(secret: d)
    let bp = try BigNum(secret: p)
    let bq = try BigNum(secret: q)
    let biqmp = try BigNum(secret: iqmp)
    // p, q > 1 keeps p − 1 and q − 1 non-zero for the reductions below, checked or not.
    guard bp.bitCount > 1, bq.bitCount > 1 else { throw .malformed("rsa prime is 0 or 1") }
    if checked {
      guard BigNum.compare(try ctx.mul(bp, bq), bn) == 0 else { throw .malformed("rsa modulus is not p*q") }
      guard try ctx.modMul(biqmp, bq, bp).isOne else { throw .malformed("rsa iqmp is not q^-1 mod p") }
    }
    let pm1 = try ctx.minusOne(bp)
    let qm1 = try ctx.minusOne(bq)
    let dmp1 = try ctx.mod(bd, pm1)
    let dmq1 = try ctx.mod(bd, qm1)
    if checked {
      guard try ctx.modMul(be, dmp1, pm1).isOne, try ctx.modMul(be, dmq1, qm1).isOne else {
        throw .malformed("rsa private exponent does not match the public exponent")
      }
    }
    // Built by decoding a PKCS#1 RSAPrivateKey (RFC 8017 §A.1.2) rather than by EVP_PKEY_fromdata: OpenSSL 3.0's
    // ASN.1 decoder puts the private numbers in its secure heap, fromdata copies them to the ordinary heap.
    var numbers = [bn, be, bd, bp, bq, dmp1, dmq1, biqmp].map(\.magnitude)
    defer { for i in numbers.indices { SecureBytes.wipe(&numbers[i]) } }
    var der = DERWriter.sequenceOfIntegers(version: 0, numbers)
    defer { SecureBytes.wipe(&der) }
    let pkey: OpaquePointer? = der.withUnsafeBufferPointer { buf in
      var cursor = buf.baseAddress
      return d2i_PrivateKey(EVP_PKEY_RSA, nil, &cursor, buf.count)
    }
    guard let pkey else { throw failure("rsa key from components") }
    return EVPKey(owning: pkey)
  }

  /// An EC public key; OpenSSL rejects points that are not on the curve.
  static func ecPublicKey(curve: PublicKeyBlob.Curve, point: [UInt8]) throws(KeyError) -> EVPKey {
    let b = try ParamBuilder()
    try b.text("group", groupName(curve))
    try b.octets("pub", point)
    let key: EVPKey
    do { key = try b.makeKey(type: "EC", selection: keyhold_EVP_PKEY_PUBLIC_KEY()) } catch {
      throw .malformed("\(curve.rawValue) point is not on the curve")
    }
    guard check(key, { EVP_PKEY_public_check_quick($0) }) else {
      throw .malformed("\(curve.rawValue) point is not a valid public key")
    }
    return key
  }

  /// An EC private key, checked in full: the point is on the curve, 0 < d < n, and Q = d·G. With `checked` false (a
  /// key keyhold checked at import, read back from authenticated storage) the full `EVP_PKEY_check` is skipped;
  /// OpenSSL still refuses a point that is not on the curve when it decodes it.
  static func ecPrivateKey(curve: PublicKeyBlob.Curve, point: [UInt8], d: [UInt8], checked: Bool = true)
    throws(KeyError) -> EVPKey
  {
    try requireSecureHeapRoom()
    let b = try ParamBuilder()
    try b.text("group", groupName(curve))
    try b.octets("pub", point)
    let bd = try BigNum(secret: d)
    try b.number("priv", bd)
    let key: EVPKey
    do { key = try b.makeKey(type: "EC", selection: keyhold_EVP_PKEY_KEYPAIR()) } catch {
      throw .malformed("\(curve.rawValue) key components are invalid")
    }
    guard !checked || check(key, { EVP_PKEY_check($0) }) else {
      throw .malformed("\(curve.rawValue) public point does not match the private scalar")
    }
    return key
  }

  /// An Ed25519 public key (for its SubjectPublicKeyInfo).
  static func ed25519PublicKey(_ pub: [UInt8]) throws(KeyError) -> EVPKey {
    guard let k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, pub, pub.count) else {
      throw failure("ed25519 public key")
    }
    return EVPKey(owning: k)
  }

  /// An Ed25519 private key from its 32-byte seed (for its PKCS#8 form).
  static func ed25519PrivateKey(seed: UnsafeRawBufferPointer) throws(KeyError) -> EVPKey {
    guard
      let k = EVP_PKEY_new_raw_private_key(
        EVP_PKEY_ED25519, nil, seed.baseAddress?.assumingMemoryBound(to: UInt8.self), seed.count)
    else { throw failure("ed25519 private key") }
    return EVPKey(owning: k)
  }

  private static func check(_ key: EVPKey, _ body: (OpaquePointer) -> Int32) -> Bool {
    guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil) else { return false }
    defer { EVP_PKEY_CTX_free(ctx) }
    let ok = body(ctx) == 1
    if !ok { ERR_clear_error() }
    return ok
  }

  // MARK: - Reading components

  /// A BIGNUM parameter of `key` as a big-endian magnitude ("n", "e", "d", "rsa-factor1", "priv", ...).
  static func numberParam(_ key: OpaquePointer, _ name: String) throws(KeyError) -> [UInt8] {
    var bn: OpaquePointer? = nil
    guard EVP_PKEY_get_bn_param(key, name, &bn) == 1, let bn else { throw failure("key has no \(name)") }
    let number = BigNum(owning: bn)
    return number.magnitude
  }

  /// A BIGNUM parameter left-padded to `width` bytes.
  static func numberParam(_ key: OpaquePointer, _ name: String, width: Int) throws(KeyError) -> [UInt8] {
    let m = try numberParam(key, name)
    guard m.count <= width else { throw .malformed("\(name) is longer than \(width) bytes") }
    return [UInt8](repeating: 0, count: width - m.count) + m
  }

  /// A text parameter of `key` (e.g. "group").
  static func textParam(_ key: OpaquePointer, _ name: String) throws(KeyError) -> String {
    var buf = [CChar](repeating: 0, count: 80)
    var len = 0
    guard EVP_PKEY_get_utf8_string_param(key, name, &buf, buf.count, &len) == 1 else {
      throw failure("key has no \(name)")
    }
    return String(decoding: buf.prefix(len).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The raw public (32-byte) key of an Ed25519 `EVP_PKEY`.
  static func rawPublicKey(_ key: OpaquePointer) throws(KeyError) -> [UInt8] {
    var len = 0
    guard EVP_PKEY_get_raw_public_key(key, nil, &len) == 1, len == 32 else { throw failure("raw public key") }
    var out = [UInt8](repeating: 0, count: len)
    guard EVP_PKEY_get_raw_public_key(key, &out, &len) == 1 else { throw failure("raw public key") }
    return out
  }

  /// The raw private (32-byte seed) key of an Ed25519 `EVP_PKEY`.
  static func rawPrivateKey(_ key: OpaquePointer) throws(KeyError) -> [UInt8] {
    var len = 0
    guard EVP_PKEY_get_raw_private_key(key, nil, &len) == 1, len == 32 else { throw failure("raw private key") }
    var out = [UInt8](repeating: 0, count: len)
    guard EVP_PKEY_get_raw_private_key(key, &out, &len) == 1 else { throw failure("raw private key") }
    return out
  }

  // MARK: - DER encodings

  /// The DER SubjectPublicKeyInfo of `key` (RFC 5280 §4.1), as `openssl pkey -pubout -outform DER` writes it.
  static func subjectPublicKeyInfo(_ key: EVPKey) throws(KeyError) -> [UInt8] {
    var out: UnsafeMutablePointer<UInt8>? = nil
    let n = i2d_PUBKEY(key.pointer, &out)
    guard n > 0, let out else { throw failure("i2d_PUBKEY") }
    defer { keyhold_OPENSSL_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: Int(n)))
  }

  /// The DER PKCS#8 PrivateKeyInfo of `key` (RFC 5208), as `openssl pkcs8 -topk8 -nocrypt -outform DER` writes it.
  static func privateKeyInfo(_ key: EVPKey) throws(KeyError) -> SecureBytes {
    guard let info = EVP_PKEY2PKCS8(key.pointer) else { throw failure("EVP_PKEY2PKCS8") }
    defer { PKCS8_PRIV_KEY_INFO_free(info) }
    var out: UnsafeMutablePointer<UInt8>? = nil
    let n = i2d_PKCS8_PRIV_KEY_INFO(info, &out)
    guard n > 0, let out else { throw failure("i2d_PKCS8_PRIV_KEY_INFO") }
    defer {
      OPENSSL_cleanse(out, Int(n))
      keyhold_OPENSSL_free(out)
    }
    return SecureBytes(copying: UnsafeBufferPointer(start: out, count: Int(n)))
  }
}
