import CSodium

/// Thin, typed wrappers over the libsodium primitives keyhold uses (the vault's KDF and seal, randomness, Ed25519,
/// BLAKE2b, the ChaCha20 and Poly1305 of OpenSSH's key-file cipher).
///
/// Keeping them here keeps libsodium calls inside KeyholdCrypto.
public enum Sodium {
  /// Errors from the libsodium wrappers.
  public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
    /// Argon2id could not run with these parameters (usually: not enough memory).
    case kdfFailed
    /// The authenticated decryption failed: wrong key, or the data or its associated data was changed.
    case authenticationFailed
    /// An input had the wrong size.
    case badSize(String)
    /// Guarded memory for the result could not be had.
    case outOfSecureMemory

    public var description: String {
      switch self {
      case .kdfFailed: return "key derivation failed (out of memory?)"
      case .authenticationFailed: return "authentication failed"
      case .badSize(let what): return "wrong size: \(what)"
      case .outOfSecureMemory: return "out of secure memory"
      }
    }
  }

  /// Argon2id parameters (libsodium `crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`).
  public struct KDFParameters: Equatable, Sendable {
    /// Number of passes (libsodium `opslimit`).
    public var opsLimit: UInt64
    /// Memory in bytes (libsodium `memlimit`).
    public var memLimit: UInt64
    /// Creates parameters.
    public init(opsLimit: UInt64, memLimit: UInt64) {
      self.opsLimit = opsLimit
      self.memLimit = memLimit
    }
    /// libsodium's INTERACTIVE limits (about 0.1 s here).
    public static let interactive = KDFParameters(
      opsLimit: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memLimit: UInt64(crypto_pwhash_MEMLIMIT_INTERACTIVE))
    /// libsodium's MODERATE limits (about 1.5 s here); the vault's default.
    public static let moderate = KDFParameters(
      opsLimit: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memLimit: UInt64(crypto_pwhash_MEMLIMIT_MODERATE))
    /// The smallest limits libsodium accepts. For tests only.
    public static let minimum = KDFParameters(
      opsLimit: UInt64(crypto_pwhash_OPSLIMIT_MIN), memLimit: UInt64(crypto_pwhash_MEMLIMIT_MIN))
  }

  /// Size of an Argon2id salt.
  public static let saltBytes = Int(crypto_pwhash_SALTBYTES)
  /// Size of an XChaCha20-Poly1305 key.
  public static let aeadKeyBytes = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
  /// Size of an XChaCha20-Poly1305 nonce.
  public static let aeadNonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
  /// Size of the Poly1305 tag appended to each ciphertext.
  public static let aeadTagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

  /// Returns `count` random bytes from the system CSPRNG.
  public static func randomBytes(_ count: Int) -> [UInt8] {
    precondition(sodiumReady)
    var out = [UInt8](repeating: 0, count: count)
    if count > 0 { out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) } }
    return out
  }

  /// Random secret bytes created directly in guarded memory.
  public static func randomSecret(_ count: Int) -> SecureBytes {
    precondition(sodiumReady)
    return SecureBytes(count: count) { buf in
      if count > 0 { randombytes_buf(buf.baseAddress!, count) }
    }
  }

  /// Derives a `length`-byte key from `passphrase` with Argon2id into guarded memory.
  public static func argon2id(
    passphrase: SecureBytes, salt: [UInt8], parameters: KDFParameters, length: Int = aeadKeyBytes
  ) throws(Failure) -> SecureBytes {
    precondition(sodiumReady)
    guard salt.count == saltBytes else { throw .badSize("salt must be \(saltBytes) bytes") }
    var failed = false
    let key: SecureBytes
    do {
      key = try SecureBytes.allocate(count: length) { out in
        passphrase.withUnsafeBytes { pw in
          // An empty passphrase has no base address; libsodium's pointers are non-null.
          var empty: UInt8 = 0
          let rc = withUnsafePointer(to: &empty) { emptyPtr in
            crypto_pwhash(
              out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(length),
              pw.baseAddress?.assumingMemoryBound(to: CChar.self)
                ?? UnsafeRawPointer(emptyPtr).assumingMemoryBound(to: CChar.self),
              UInt64(pw.count), salt, parameters.opsLimit, Int(parameters.memLimit), crypto_pwhash_ALG_ARGON2ID13)
          }
          if rc != 0 { failed = true }
        }
      }
    } catch {
      throw .outOfSecureMemory
    }
    if failed { throw .kdfFailed }
    return key
  }

  /// Encrypts `plaintext` with XChaCha20-Poly1305 (IETF), binding `associatedData`. Returns ciphertext + tag.
  public static func seal(
    _ plaintext: UnsafeRawBufferPointer, key: SecureBytes, nonce: [UInt8], associatedData: [UInt8]
  ) throws(Failure) -> [UInt8] {
    precondition(sodiumReady)
    guard key.count == aeadKeyBytes else { throw .badSize("key") }
    guard nonce.count == aeadNonceBytes else { throw .badSize("nonce") }
    var out = [UInt8](repeating: 0, count: plaintext.count + aeadTagBytes)
    var outLen: UInt64 = 0
    let ad = associatedData + [0]
    var spare: UInt8 = 0
    key.withUnsafeBytes { k in
      withUnsafePointer(to: &spare) { sp in
        let pt = plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? sp
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
          &out, &outLen, pt, UInt64(plaintext.count), ad, UInt64(associatedData.count), nil, nonce,
          k.baseAddress!.assumingMemoryBound(to: UInt8.self))
      }
    }
    return out
  }

  /// Decrypts and authenticates `ciphertext` (with its tag) into guarded memory.
  public static func open(
    _ ciphertext: [UInt8], key: SecureBytes, nonce: [UInt8], associatedData: [UInt8]
  ) throws(Failure) -> SecureBytes {
    precondition(sodiumReady)
    guard key.count == aeadKeyBytes else { throw .badSize("key") }
    guard nonce.count == aeadNonceBytes else { throw .badSize("nonce") }
    guard ciphertext.count >= aeadTagBytes else { throw .authenticationFailed }
    let plainCount = ciphertext.count - aeadTagBytes
    // One spare byte keeps every pointer non-null, even for an empty plaintext or empty associated data.
    let ad = associatedData + [0]
    var ok = false
    let decrypt = { (out: UnsafeMutableRawBufferPointer) in
      var outLen: UInt64 = 0
      let rc = key.withUnsafeBytes { k in
        crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLen, nil, ciphertext, UInt64(ciphertext.count),
          ad, UInt64(associatedData.count), nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
      }
      ok = rc == 0
      if !ok { sodium_memzero(out.baseAddress!, out.count) }
    }
    let plain: SecureBytes
    if plainCount == 0 {
      var scratch = [UInt8](repeating: 0, count: 1)
      scratch.withUnsafeMutableBytes { decrypt($0) }
      plain = SecureBytes(copying: [UInt8]())
    } else {
      // The size comes from the file: a failed allocation is an error, not a crash.
      do { plain = try SecureBytes.allocate(count: plainCount) { decrypt($0) } } catch { throw .outOfSecureMemory }
    }
    if !ok { throw .authenticationFailed }
    return plain
  }

  /// Constant-time equality of two byte arrays (false when lengths differ).
  public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in SecureBytes.constantTimeEqual(pa, pb) } }
  }
}
