import COpenSSL
import KeyholdCrypto

/// The ciphers OpenSSH may use to protect a private key file (PROTOCOL.key; cipher.c's table), with the key and IV
/// lengths bcrypt_pbkdf must produce for each.
struct OpenSSHCipher: Sendable {
  enum Mode: Sendable { case none, ctr, cbc, gcm, chaChaPoly }

  /// The cipher's SSH name, e.g. `aes256-ctr`.
  let name: String
  let mode: Mode
  /// Key bytes.
  let keyLength: Int
  /// IV bytes (the KDF yields key then IV).
  let ivLength: Int
  /// The private section is padded to a multiple of this.
  let blockSize: Int
  /// Bytes of authentication tag after the encrypted section (AEAD ciphers).
  let tagLength: Int

  static let unencrypted = OpenSSHCipher(
    name: "none", mode: .none, keyLength: 0, ivLength: 0, blockSize: 8, tagLength: 0)

  /// The cipher called `name`, or nil when keyhold does not implement it.
  static func named(_ name: String) -> OpenSSHCipher? {
    switch name {
    case "none": return .unencrypted
    case "aes128-ctr":
      return OpenSSHCipher(name: name, mode: .ctr, keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0)
    case "aes192-ctr":
      return OpenSSHCipher(name: name, mode: .ctr, keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0)
    case "aes256-ctr":
      return OpenSSHCipher(name: name, mode: .ctr, keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0)
    case "aes128-cbc":
      return OpenSSHCipher(name: name, mode: .cbc, keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0)
    case "aes192-cbc":
      return OpenSSHCipher(name: name, mode: .cbc, keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0)
    case "aes256-cbc":
      return OpenSSHCipher(name: name, mode: .cbc, keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0)
    case "aes128-gcm@openssh.com":
      return OpenSSHCipher(name: name, mode: .gcm, keyLength: 16, ivLength: 12, blockSize: 16, tagLength: 16)
    case "aes256-gcm@openssh.com":
      return OpenSSHCipher(name: name, mode: .gcm, keyLength: 32, ivLength: 12, blockSize: 16, tagLength: 16)
    case "chacha20-poly1305@openssh.com":
      return OpenSSHCipher(name: name, mode: .chaChaPoly, keyLength: 64, ivLength: 0, blockSize: 8, tagLength: 16)
    default: return nil
    }
  }

  private func evpCipher() -> OpaquePointer? {
    switch (mode, keyLength) {
    case (.ctr, 16): return EVP_aes_128_ctr()
    case (.ctr, 24): return EVP_aes_192_ctr()
    case (.ctr, 32): return EVP_aes_256_ctr()
    case (.cbc, 16): return EVP_aes_128_cbc()
    case (.cbc, 24): return EVP_aes_192_cbc()
    case (.cbc, 32): return EVP_aes_256_cbc()
    case (.gcm, 16): return EVP_aes_128_gcm()
    case (.gcm, 32): return EVP_aes_256_gcm()
    default: return nil
    }
  }

  /// Decrypts `input` (a whole number of blocks) with key and IV taken from `keyIV`, checking `tag` for AEAD modes.
  /// A failed tag check means the passphrase was wrong (or the file was altered): ``KeyError/wrongPassphrase``.
  func decrypt(_ input: [UInt8], tag: [UInt8], keyIV: SecureBytes) throws(KeyError) -> [UInt8] {
    try crypt(input, tag: tag, keyIV: keyIV, encrypt: false).output
  }

  /// Encrypts `input` and returns ciphertext followed by the tag (AEAD modes).
  func encrypt(_ input: [UInt8], keyIV: SecureBytes) throws(KeyError) -> [UInt8] {
    let r = try crypt(input, tag: [], keyIV: keyIV, encrypt: true)
    return r.output + r.tag
  }

  private func crypt(_ input: [UInt8], tag: [UInt8], keyIV: SecureBytes, encrypt: Bool) throws(KeyError)
    -> (output: [UInt8], tag: [UInt8])
  {
    if mode == .none { return (input, []) }
    guard keyIV.count == keyLength + ivLength, input.count % blockSize == 0 else {
      throw .malformed("encrypted section is not a whole number of \(name) blocks")
    }
    if !encrypt && tag.count != tagLength { throw .malformed("missing \(name) tag") }
    if mode == .chaChaPoly { return try chaChaPoly(input, tag: tag, keyIV: keyIV, encrypt: encrypt) }
    guard let cipher = evpCipher(), let ctx = EVP_CIPHER_CTX_new() else { throw .cryptoFailure("EVP \(name)") }
    defer { EVP_CIPHER_CTX_free(ctx) }
    var output = [UInt8](repeating: 0, count: input.count + 32)
    var outTag = [UInt8](repeating: 0, count: tagLength)
    let ok: Bool = keyIV.withUnsafeBytes { kv in
      let key = kv.baseAddress!.assumingMemoryBound(to: UInt8.self)
      let iv = key + keyLength
      guard EVP_CipherInit_ex(ctx, cipher, nil, nil, nil, encrypt ? 1 : 0) == 1 else { return false }
      if mode == .gcm {
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, Int32(ivLength), nil) == 1 else { return false }
      }
      guard EVP_CipherInit_ex(ctx, nil, nil, key, iv, encrypt ? 1 : 0) == 1 else { return false }
      _ = EVP_CIPHER_CTX_set_padding(ctx, 0)
      var n: Int32 = 0
      var total = 0
      if !input.isEmpty {
        guard EVP_CipherUpdate(ctx, &output, &n, input, Int32(input.count)) == 1 else { return false }
        total = Int(n)
      }
      if mode == .gcm && !encrypt {
        var t = tag
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(tagLength), &t) == 1 else { return false }
      }
      let finalOK = output.withUnsafeMutableBufferPointer { out in
        EVP_CipherFinal_ex(ctx, out.baseAddress! + total, &n) == 1
      }
      guard finalOK else { return false }
      total += Int(n)
      if mode == .gcm && encrypt {
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, Int32(tagLength), &outTag) == 1 else { return false }
      }
      output.removeSubrange(total...)
      return true
    }
    ERR_clear_error()
    guard ok else {
      SecureBytes.wipe(&output)
      if mode == .gcm && !encrypt { throw .wrongPassphrase }
      throw .cryptoFailure("\(name) failed")
    }
    return (output, outTag)
  }

  /// chacha20-poly1305@openssh.com as cipher-chachapoly.c applies it to a key file: sequence number 0, no
  /// additional data; the Poly1305 key is the first ChaCha20 block of the main key (first 32 bytes), the payload is
  /// encrypted from block counter 1.
  private func chaChaPoly(_ input: [UInt8], tag: [UInt8], keyIV: SecureBytes, encrypt: Bool) throws(KeyError)
    -> (output: [UInt8], tag: [UInt8])
  {
    let nonce = [UInt8](repeating: 0, count: 8)
    var polyKey = [UInt8](repeating: 0, count: 32)
    defer { SecureBytes.wipe(&polyKey) }
    var output: [UInt8] = []
    var computed: [UInt8] = []
    let ok: Bool = keyIV.withUnsafeBytes { kv in
      let key = UnsafeRawBufferPointer(rebasing: kv[0..<32])
      polyKey.withUnsafeMutableBytes { Sodium.chacha20Stream(into: $0, nonce: nonce, key: key) }
      if !encrypt {
        computed = polyKey.withUnsafeBytes { Sodium.poly1305(input, key: $0) }
        guard Sodium.constantTimeEqual(computed, tag) else { return false }
      }
      output = Sodium.chacha20XOR(input, nonce: nonce, counter: 1, key: key)
      if encrypt {
        computed = polyKey.withUnsafeBytes { Sodium.poly1305(output, key: $0) }
      }
      return true
    }
    guard ok else { throw .wrongPassphrase }
    return (output, encrypt ? computed : [])
  }
}
