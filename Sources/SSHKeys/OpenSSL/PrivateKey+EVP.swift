import COpenSSL
import KeyholdCrypto
import SSHWire

extension PrivateKey {
  /// Converts an OpenSSL `EVP_PKEY *` (from a PEM / DER container) into a key; the caller keeps ownership of `pkey`.
  ///
  /// Supports RSA (two primes, at least 2048 bits), EC on P-256/384/521 and Ed25519. RSA p and q keep the order the
  /// container had, so the PKCS#8 encoding (and the `sha1-pkcs8` fingerprint) stays the container's.
  static func fromEVP(_ pkey: OpaquePointer, comment: String) throws(KeyError) -> PrivateKey {
    var f = try fields(of: pkey)
    defer { f.wipe() }
    return try build(f, certificate: nil, certificateBlob: nil, comment: comment)
  }

  /// Reads a key's fields out of OpenSSL; if reading fails halfway, the secret fields already read are wiped.
  private static func fields(of pkey: OpaquePointer) throws(KeyError) -> Fields {
    var f = Fields(algorithm: .ed25519)
    var complete = false
    defer { if !complete { f.wipe() } }
    switch try EVP.keyType(pkey) {
    case .ed25519:
      f.point = try EVP.rawPublicKey(pkey)
      // Build seed ‖ point in one buffer of its final size: `seed + point` would leave an unwiped temporary.
      var seed = try EVP.rawPrivateKey(pkey)
      f.secret.reserveCapacity(seed.count + f.point.count)
      f.secret.append(contentsOf: seed)
      f.secret.append(contentsOf: f.point)
      SecureBytes.wipe(&seed)
    case .ec:
      let group = try EVP.textParam(pkey, "group")
      guard let curve = EVP.curve(groupName: group) else { throw .unsupportedKeyType("ecdsa on curve \(group)") }
      switch curve {
      case .nistp256: f = Fields(algorithm: .ecdsaP256)
      case .nistp384: f = Fields(algorithm: .ecdsaP384)
      case .nistp521: f = Fields(algorithm: .ecdsaP521)
      }
      // Rebuild Q from its coordinates: the container may have stored it compressed.
      let x = try EVP.numberParam(pkey, "qx", width: curve.fieldBytes)
      let y = try EVP.numberParam(pkey, "qy", width: curve.fieldBytes)
      f.point = [0x04] + x + y
      f.secret = try EVP.numberParam(pkey, "priv")
    case .rsa:
      f = Fields(algorithm: .rsa)
      if (try? EVP.numberParam(pkey, "rsa-factor3")) != nil {
        throw .unsupportedKeyType("multi-prime rsa")
      }
      f.n = try EVP.numberParam(pkey, "n")
      f.e = try EVP.numberParam(pkey, "e")
      f.secret = try EVP.numberParam(pkey, "d")
      f.p = try EVP.numberParam(pkey, "rsa-factor1")
      f.q = try EVP.numberParam(pkey, "rsa-factor2")
      f.iqmp = try EVP.numberParam(pkey, "rsa-coefficient1")
    }
    complete = true
    return f
  }

  /// The DER PKCS#8 PrivateKeyInfo (RFC 5208) of the key, byte for byte what
  /// `openssl pkcs8 -topk8 -nocrypt -outform DER` writes for the same key; the input of `sha1-pkcs8`.
  public func pkcs8DER() throws(KeyError) -> SecureBytes {
    switch material {
    case .ecdsa(let key, _, _), .rsa(let key, _, _):
      return try EVP.privateKeyInfo(key)
    case .ed25519(let secret):
      let key = secret.withUnsafeBytes { sk in
        Result { () throws(KeyError) in try EVP.ed25519PrivateKey(seed: UnsafeRawBufferPointer(rebasing: sk[0..<32])) }
      }
      return try EVP.privateKeyInfo(key.get())
    }
  }

  /// Every cloud fingerprint kind (keyhold-fingerprint(1)), keyed by kind: those of ``PublicKey/cloudFingerprints()`` plus
  /// `sha1-pkcs8`. Certificates are fingerprinted by their plain key.
  public func cloudFingerprints() -> [CloudFingerprintKind: String] {
    var out = plainPublicKey.cloudFingerprints()
    if let der = try? pkcs8DER() {
      out[.sha1PKCS8] = Hex.encode(der.withUnsafeBytes { Digest.hash(.sha1, $0) }, separator: ":")
    }
    return out
  }

  /// Generates a new key. `bits` applies to RSA (default 3072, at least 2048, at most 16384) and ECDSA (256, 384 or
  /// 521; default 256); Ed25519 takes no size.
  public static func generate(_ algorithm: KeyAlgorithm, bits: Int? = nil, comment: String = "") throws(KeyError)
    -> PrivateKey
  {
    switch algorithm {
    case .ed25519:
      if let bits, bits != 256 { throw .unsupportedKeyType("ed25519 keys have no size choice (got \(bits) bits)") }
      let seed = Sodium.randomSecret(32)
      var f = Fields(algorithm: .ed25519)
      defer { f.wipe() }
      let pair = try seed.withUnsafeBytes { s in
        Result { () throws(SecureBytes.AllocationError) in try Sodium.ed25519Keypair(seed: s) }
      }.mapError { KeyError($0) }.get()
      f.point = pair.publicKey
      f.secret = pair.secret.unsafeCopy()
      return try build(f, certificate: nil, certificateBlob: nil, comment: comment)
    case .ecdsaP256, .ecdsaP384, .ecdsaP521:
      let size = bits ?? algorithm.defaultCurveBits
      let curve: String
      switch size {
      case 256: curve = "P-256"
      case 384: curve = "P-384"
      case 521: curve = "P-521"
      default: throw .unsupportedKeyType("ecdsa with \(size) bits (use 256, 384 or 521)")
      }
      try EVP.requireSecureHeapRoom()
      guard let pkey = keyhold_EVP_EC_gen(curve) else { throw EVP.failure("EC key generation") }
      let owned = EVPKey(owning: pkey)
      return try fromEVP(owned.pointer, comment: comment)
    case .rsa:
      let size = bits ?? 3072
      guard size >= 2048 else { throw .unsupportedKeyType("ssh-rsa with \(size) bits (the vault needs at least 2048)") }
      guard size <= 16384 else { throw .unsupportedKeyType("ssh-rsa with \(size) bits (at most 16384)") }
      try EVP.requireSecureHeapRoom()
      guard let pkey = keyhold_EVP_RSA_gen(UInt32(size)) else { throw EVP.failure("RSA key generation") }
      let owned = EVPKey(owning: pkey)
      return try fromEVP(owned.pointer, comment: comment)
    }
  }
}

extension KeyAlgorithm {
  /// The curve size an ECDSA algorithm implies (256 for the others, which ignore it).
  var defaultCurveBits: Int {
    switch self {
    case .ecdsaP384: return 384
    case .ecdsaP521: return 521
    default: return 256
    }
  }
}
