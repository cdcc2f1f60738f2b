import CSodium

extension Sodium {
  /// Size of a BLAKE2b-256 digest, the length ``hash(_:length:)`` returns by default.
  public static let hashBytes = Int(crypto_generichash_BYTES)

  /// Returns the unkeyed BLAKE2b digest (libsodium `crypto_generichash`) of `data`, `length` bytes long (16...64).
  ///
  /// An integrity check against accidents, not an authenticator: anyone can recompute it.
  public static func hash(_ data: UnsafeRawBufferPointer, length: Int = hashBytes) -> [UInt8] {
    precondition(sodiumReady)
    precondition(
      length >= Int(crypto_generichash_BYTES_MIN) && length <= Int(crypto_generichash_BYTES_MAX),
      "BLAKE2b digest length out of range")
    var out = [UInt8](repeating: 0, count: length)
    // libsodium's input pointer is non-null even for empty input.
    var spare: UInt8 = 0
    withUnsafePointer(to: &spare) { sp in
      let input = data.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? sp
      _ = crypto_generichash(&out, length, input, UInt64(data.count), nil, 0)
    }
    return out
  }

  /// Returns the unkeyed BLAKE2b digest of the bytes of `data`, `length` bytes long (16...64).
  public static func hash<C: Collection>(_ data: C, length: Int = hashBytes) -> [UInt8] where C.Element == UInt8 {
    let bytes = Array(data)
    return bytes.withUnsafeBytes { hash($0, length: length) }
  }
}
