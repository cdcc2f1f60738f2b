import CSodium

/// The libsodium calls of the key model: Ed25519 and base64 text.
extension Sodium {
  /// Size of an Ed25519 signature.
  static let ed25519SignatureBytes = Int(crypto_sign_BYTES)

  /// Derives the libsodium 64-byte secret key (seed ‖ public key) and the public key from a 32-byte seed.
  static func ed25519Keypair(seed: UnsafeRawBufferPointer) throws(KeyError)
    -> (secret: SecureBytes, publicKey: [UInt8])
  {
    precondition(sodiumReady)
    precondition(seed.count == 32)
    var pub = [UInt8](repeating: 0, count: 32)
    let secret: SecureBytes
    do {
      secret = try SecureBytes.allocate(count: 64) { sk in
        _ = crypto_sign_seed_keypair(
          &pub, sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
          seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
      }
    } catch {
      throw KeyError(error)
    }
    return (secret, pub)
  }

  /// Signs `message` with a 64-byte libsodium secret key, writing the 64-byte signature to `out`.
  static func ed25519Sign(
    _ message: UnsafeRawBufferPointer, secret: SecureBytes, into out: UnsafeMutableRawBufferPointer
  ) {
    var spare: UInt8 = 0
    secret.withUnsafeBytes { sk in
      withUnsafePointer(to: &spare) { sp in
        _ = crypto_sign_detached(
          out.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
          message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? sp, UInt64(message.count),
          sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
      }
    }
  }

  /// Verifies an Ed25519 signature.
  static func ed25519Verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
    guard signature.count == 64, publicKey.count == 32 else { return false }
    let m = message.isEmpty ? [0] : message
    return crypto_sign_verify_detached(signature, m, UInt64(message.count), publicKey) == 0
  }

  /// Standard base64 (RFC 4648 §4), with or without `=` padding.
  static func base64(_ bytes: [UInt8], padded: Bool = true) -> String {
    precondition(sodiumReady)
    if bytes.isEmpty { return "" }
    let variant = padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING
    let capacity = (bytes.count + 2) / 3 * 4 + 1
    var out = [CChar](repeating: 0, count: capacity)
    _ = sodium_bin2base64(&out, capacity, bytes, bytes.count, variant)
    return String(decoding: out.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
