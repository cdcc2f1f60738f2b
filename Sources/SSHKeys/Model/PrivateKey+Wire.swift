import KeyholdCrypto
import SSHWire

extension PrivateKey {
  /// Decodes the private-key wire form used by SSH2_AGENTC_ADD_IDENTITY and the OpenSSH private key file's
  /// private section, without the comment (PROTOCOL.agent, draft-miller-ssh-agent §4.2.3):
  ///
  /// - `ssh-ed25519`: `string A, string k‖A` (64 bytes)
  /// - `ecdsa-sha2-*`: `string curve, string Q, mpint d`
  /// - `ssh-rsa`: `mpint n, e, d, iqmp, p, q`
  /// - `*-cert-v01@openssh.com`: `string certificate`, then Ed25519 `string A, string k‖A`, ECDSA `mpint d`, RSA
  ///   `mpint d, iqmp, p, q` (the public fields come from the certificate).
  ///
  /// The key is checked for consistency (Ed25519 A derives from the seed, EC Q = d·G, RSA n = p·q and matching
  /// exponents); an inconsistent key throws `malformed`, an unsupported type `unsupportedKeyType`.
  ///
  /// RSA keys need `minimumRSABits` (the vault's 2048 unless the caller, such as the agent's add path, asks for
  /// less) and at most 16384 bits.
  public static func decodeWire(_ reader: inout SSHReader, minimumRSABits: Int = 2048) throws(KeyError) -> PrivateKey {
    try decodeWire(&reader, trust: .untrusted, minimumRSABits: minimumRSABits)
  }

  private static func decodeWire(
    _ reader: inout SSHReader, trust: Trust, minimumRSABits: Int = 2048, comment: String = ""
  ) throws(KeyError) -> PrivateKey {
    var read: (fields: Fields, certificate: PublicKeyBlob?, certificateBlob: [UInt8]?)
    do {
      read = try readWire(&reader)
    } catch .unknownKeyType(let name) {
      throw .unsupportedKeyType(name)
    } catch {
      throw .malformed(error.description)
    }
    defer { read.fields.wipe() }
    return try build(
      read.fields, certificate: read.certificate, certificateBlob: read.certificateBlob, comment: comment,
      trust: trust, minimumRSABits: minimumRSABits)
  }

  /// Decodes a complete private-key wire form (see ``decodeWire(_:)-swift.type.method``); trailing bytes are an
  /// error.
  public static func decodeWire(_ bytes: SecureBytes) throws(KeyError) -> PrivateKey {
    var copy = bytes.unsafeCopy()
    defer { SecureBytes.wipe(&copy) }
    return try decodeComplete(copy)
  }

  /// Decodes a complete private-key wire form that keyhold wrote itself (``encodeWire()``) and read back from
  /// storage sealed with authenticated encryption (the vault's private half: XChaCha20-Poly1305, bound to the
  /// public half). Every structural and size check of ``decodeWire(_:)-swift.type.method`` applies; the costly
  /// proofs that the parts belong together (Ed25519 A from the seed, EC Q = d·G, RSA n = p·q and the exponents) are
  /// not repeated: the key passed them when it was imported, and the seal proves the bytes are unchanged since.
  /// Do not use it for bytes from anywhere else. The key is built with `comment` (the wire form has none), so a
  /// vault's key needs no renamed copy.
  public static func decodeStoredWire(_ bytes: UnsafeRawBufferPointer, comment: String = "") throws(KeyError)
    -> PrivateKey
  {
    var copy = Array(bytes)
    defer { SecureBytes.wipe(&copy) }
    return try decodeComplete(copy, trust: .authenticatedStore, comment: comment)
  }

  private static func decodeComplete(_ bytes: [UInt8], trust: Trust = .untrusted, comment: String = "")
    throws(KeyError) -> PrivateKey
  {
    var reader = SSHReader(bytes)
    let key = try decodeWire(&reader, trust: trust, comment: comment)
    guard reader.isAtEnd else { throw .malformed("\(reader.remaining) bytes after the private key") }
    return key
  }

  /// Encodes the private-key wire form (the inverse of ``decodeWire(_:)-swift.type.method``) into guarded memory:
  /// the certificate form when the key carries a certificate, else the plain form.
  public func encodeWire() -> SecureBytes {
    guard publicKey.isCertificate else { return plainWire }
    var fields = Fields.decodePlain(plainWire)
    defer { fields.wipe() }
    return fields.encode(certificateBlob: publicKey.blob)
  }

  /// Reads the fields; structural problems only (consistency is checked by ``build``).
  private static func readWire(_ r: inout SSHReader) throws(WireError) -> (Fields, PublicKeyBlob?, [UInt8]?) {
    let typeName = try PublicKeyBlob.readTypeName(&r)
    var plainName = typeName
    var certificate: PublicKeyBlob? = nil
    var certificateBlob: [UInt8]? = nil
    if typeName.hasSuffix(PublicKeyBlob.certificateSuffix) {
      let blob = try r.readString()
      let cert = try PublicKeyBlob(decoding: blob)
      guard cert.typeName == typeName else {
        throw .invalidValue("certificate of type \(cert.typeName) under key type \(typeName)")
      }
      certificate = cert
      certificateBlob = blob
      plainName = String(typeName.dropLast(PublicKeyBlob.certificateSuffix.count))
    }
    guard let algorithm = KeyAlgorithm(rawValue: plainName) else { throw .unknownKeyType(typeName) }
    var f = Fields(algorithm: algorithm)
    switch (algorithm, certificate?.plainKey) {
    case (.ed25519, let certified):
      guard case .ed25519(let pub) = try PublicKeyBlob.decodeFields(typeName: plainName, from: &r) else {
        throw .invalidValue("ed25519 fields")
      }
      if let certified, certified != .ed25519(publicKey: pub) {
        throw .invalidValue("ed25519 public key differs from the certificate's")
      }
      f.point = pub
      f.secret = try r.readString()
      guard f.secret.count == 64 else { throw .badKeyField("ed25519 private key is \(f.secret.count) bytes, not 64") }
    case (.rsa, .rsa(let e, let n)?):
      f.n = n
      f.e = e
      try readRSAPrivate(&r, into: &f)
    case (.rsa, _):
      f.n = try r.readPositiveMPInt()
      f.e = try r.readPositiveMPInt()
      try readRSAPrivate(&r, into: &f)
    case (_, .ecdsa(_, let point)?):
      f.point = point
      f.secret = try r.readPositiveMPInt()
    default:
      guard case .ecdsa(_, let point) = try PublicKeyBlob.decodeFields(typeName: plainName, from: &r) else {
        throw .invalidValue("ecdsa fields")
      }
      f.point = point
      f.secret = try r.readPositiveMPInt()
    }
    return (f, certificate, certificateBlob)
  }

  private static func readRSAPrivate(_ r: inout SSHReader, into f: inout Fields) throws(WireError) {
    f.secret = try r.readPositiveMPInt()
    f.iqmp = try r.readPositiveMPInt()
    f.p = try r.readPositiveMPInt()
    f.q = try r.readPositiveMPInt()
  }

  /// How much of a key's consistency ``build(_:certificate:certificateBlob:comment:trust:)`` re-checks.
  enum Trust {
    /// Everything: the bytes come from outside (agent socket, key file, generator).
    case untrusted
    /// The bytes are keyhold's own wire form of a key that passed the full check when it was imported, read back
    /// from a store whose authenticated encryption proves they are unchanged (the vault's private half). Only the
    /// checks that prove the *parts belong together* are skipped — each costs a scalar multiplication or modular
    /// arithmetic and could only fail on bytes keyhold never wrote. Every size and structure check stays, so even
    /// a forged store can at worst yield a key that signs wrongly, never a crash or an unbounded computation.
    case authenticatedStore
  }

  /// Builds a ready key from fields, checking that they form one key (fully for untrusted input; see ``Trust``).
  /// The caller wipes `fields`.
  static func build(
    _ f: Fields, certificate: PublicKeyBlob?, certificateBlob: [UInt8]?, comment: String, trust: Trust = .untrusted,
    minimumRSABits: Int = 2048
  ) throws(KeyError) -> PrivateKey {
    let material: Material
    switch f.algorithm {
    case .ed25519:
      guard f.point.count == 32, f.secret.count == 64 else { throw .malformed("ed25519 key has the wrong size") }
      // libsodium's secret key is seed ‖ A; the stored form repeats A after the seed, and A must match the public
      // key either way.
      guard f.secret[32...].elementsEqual(f.point) else {
        throw .malformed("ed25519 public key does not belong to the private seed")
      }
      if trust == .authenticatedStore {
        // Skipped: deriving A from the seed again (one base-point multiplication per key).
        do { material = .ed25519(try SecureBytes.allocate(copying: f.secret)) } catch { throw KeyError(error) }
      } else {
        let derived = try f.secret.withUnsafeBytes { s in
          Result { () throws(SecureBytes.AllocationError) in
            try Sodium.ed25519Keypair(seed: UnsafeRawBufferPointer(rebasing: s[0..<32]))
          }
        }.mapError { KeyError($0) }.get()
        guard derived.publicKey == f.point else {
          throw .malformed("ed25519 public key does not belong to the private seed")
        }
        material = .ed25519(derived.secret)
      }
    case .rsa:
      try PublicKey.validateRSA(e: f.e, n: f.n, minimumBits: minimumRSABits)
      // Every private component is smaller than n. Checking sizes first keeps a hostile key from making the
      // consistency arithmetic below multiply and divide megabyte-long numbers.
      guard [f.secret, f.iqmp, f.p, f.q].allSatisfy({ !$0.isEmpty && $0.count <= f.n.count }) else {
        throw .malformed("rsa private component is zero or longer than the modulus")
      }
      let key = try EVP.rsaPrivateKey(
        n: f.n, e: f.e, d: f.secret, iqmp: f.iqmp, p: f.p, q: f.q, checked: trust == .untrusted)
      let signers = RSASigners(
        sha1: try EVP.SignTemplate(key: key, rsaDigest: .sha1),
        sha256: try EVP.SignTemplate(key: key, rsaDigest: .sha256),
        sha512: try EVP.SignTemplate(key: key, rsaDigest: .sha512))
      material = .rsa(key, signers, modulusBytes: f.n.count)
    case .ecdsaP256, .ecdsaP384, .ecdsaP521:
      guard let curve = f.curve else { throw .malformed("ecdsa key without a curve") }
      guard f.point.count == curve.pointBytes, f.point.first == 0x04 else {
        throw .malformed("\(curve.rawValue) point is not uncompressed")
      }
      guard !f.secret.isEmpty, f.secret.count <= curve.fieldBytes else {
        throw .malformed("\(curve.rawValue) private scalar is zero or longer than the curve order")
      }
      let key = try EVP.ecPrivateKey(curve: curve, point: f.point, d: f.secret, checked: trust == .untrusted)
      material = .ecdsa(key, curve, try EVP.SignTemplate(key: key))
    }
    let plain = PublicKey(checked: f.publicStructure)
    var identity = plain
    if let certificate, let certificateBlob {
      guard certificate.plainKey == plain.structure else { throw .malformed("the certificate is for a different key") }
      identity = PublicKey(checked: certificate, blob: certificateBlob)
    }
    // An Ed25519 key's wire form is rebuilt from its material when asked for (``plainWire``): kept, it would cost
    // each held key another 128-byte guarded slot and its object (`keyhold-bench scale`).
    return PrivateKey(
      publicKey: identity, plainPublicKey: plain, comment: comment, material: material,
      storedWire: f.algorithm == .ed25519 ? nil : try f.encodeOrThrow())
  }
}
