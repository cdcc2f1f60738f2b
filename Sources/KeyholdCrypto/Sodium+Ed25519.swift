import CSodium

/// Ed25519 (RFC 8032) through libsodium: the primitive under the key model's `ssh-ed25519` keys.
extension Sodium {
  /// Size of an Ed25519 signature.
  public static let ed25519SignatureBytes = Int(crypto_sign_BYTES)

  /// Derives the libsodium 64-byte secret key (seed ‖ public key) and the public key from a 32-byte seed.
  public static func ed25519Keypair(seed: UnsafeRawBufferPointer) throws(SecureBytes.AllocationError)
    -> (secret: SecureBytes, publicKey: [UInt8])
  {
    precondition(sodiumReady)
    precondition(seed.count == 32)
    var pub = [UInt8](repeating: 0, count: 32)
    let secret = try SecureBytes.allocate(count: 64) { sk in
      _ = crypto_sign_seed_keypair(
        &pub, sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
        seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }
    return (secret, pub)
  }

  /// Signs `message` with a 64-byte libsodium secret key, writing the 64-byte signature to `out`.
  public static func ed25519Sign(
    _ message: UnsafeRawBufferPointer, secret: SecureBytes, into out: UnsafeMutableRawBufferPointer
  ) {
    precondition(sodiumReady)
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
  public static func ed25519Verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
    precondition(sodiumReady)
    guard signature.count == 64, publicKey.count == 32 else { return false }
    let m = message.isEmpty ? [0] : message
    return crypto_sign_verify_detached(signature, m, UInt64(message.count), publicKey) == 0
  }
}
