import CSodium

/// ChaCha20 (the original 64-bit-nonce variant) and one-time Poly1305, the parts of OpenSSH's
/// `chacha20-poly1305@openssh.com` (PROTOCOL.chacha20poly1305).
extension Sodium {
  /// Writes the ChaCha20 key stream for `key` (32 bytes) and `nonce` (8 bytes) from block 0 into `out`.
  public static func chacha20Stream(
    into out: UnsafeMutableRawBufferPointer, nonce: [UInt8], key: UnsafeRawBufferPointer
  ) {
    precondition(sodiumReady)
    precondition(nonce.count == 8 && key.count == 32)
    guard out.count > 0 else { return }
    _ = crypto_stream_chacha20(
      out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(out.count), nonce,
      key.baseAddress!.assumingMemoryBound(to: UInt8.self))
  }

  /// XORs `input` with the ChaCha20 key stream starting at block `counter`; returns as many bytes as `input` has.
  public static func chacha20XOR(_ input: [UInt8], nonce: [UInt8], counter: UInt64, key: UnsafeRawBufferPointer)
    -> [UInt8]
  {
    precondition(sodiumReady)
    precondition(nonce.count == 8 && key.count == 32)
    guard !input.isEmpty else { return [] }
    var output = [UInt8](repeating: 0, count: input.count)
    _ = crypto_stream_chacha20_xor_ic(
      &output, input, UInt64(input.count), nonce, counter, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
    return output
  }

  /// The 16-byte Poly1305 tag of `message` under the one-time `key` (32 bytes).
  public static func poly1305(_ message: [UInt8], key: UnsafeRawBufferPointer) -> [UInt8] {
    precondition(sodiumReady)
    precondition(key.count == 32)
    var tag = [UInt8](repeating: 0, count: 16)
    // libsodium's pointers are non-null: an empty message still passes one spare byte.
    let m = message.isEmpty ? [0] : message
    _ = crypto_onetimeauth_poly1305(
      &tag, m, UInt64(message.count), key.baseAddress!.assumingMemoryBound(to: UInt8.self))
    return tag
  }
}
