import CSodium

/// Ensures `sodium_init` ran once before any libsodium call.
let sodiumReady: Bool = { sodium_init() >= 0 }()

/// Secret bytes in libsodium guarded memory: locked in RAM, surrounded by guard pages, wiped when released.
///
/// The buffer is written once, at creation, and read-only afterwards, so the value can be shared across threads.
public final class SecureBytes: @unchecked Sendable {
  private let pointer: UnsafeMutableRawPointer?
  /// Number of secret bytes.
  public let count: Int

  /// Allocates `count` bytes of guarded memory and lets `fill` write them.
  public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
    precondition(sodiumReady, "libsodium failed to initialise")
    self.count = count
    if count == 0 {
      pointer = nil
    } else {
      guard let p = sodium_malloc(count) else { fatalError("sodium_malloc failed: out of memory") }
      pointer = p
      do {
        try fill(UnsafeMutableRawBufferPointer(start: p, count: count))
      } catch {
        sodium_free(p)
        throw error
      }
      sodium_mprotect_readonly(p)
    }
  }

  /// Copies `bytes` into guarded memory. The caller should wipe its own copy (see ``wipe(_:)``).
  public convenience init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
    self.init(count: bytes.count) { buf in
      var i = 0
      for b in bytes {
        buf[i] = b
        i += 1
      }
    }
  }

  /// Copies `bytes` into guarded memory, then zeroes the caller's array.
  public convenience init(consuming bytes: inout [UInt8]) {
    self.init(copying: bytes)
    SecureBytes.wipe(&bytes)
  }

  deinit {
    if let p = pointer { sodium_free(p) }  // sodium_free zeroes before unmapping
  }

  /// Calls `body` with read access to the secret bytes.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(start: pointer, count: count))
  }

  /// Returns an ordinary array copy. Use sparingly: the copy is not guarded.
  public func unsafeCopy() -> [UInt8] { withUnsafeBytes { Array($0) } }

  /// Zeroes an ordinary array in place (sodium_memzero cannot be optimised away).
  public static func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buf in
      if let base = buf.baseAddress, buf.count > 0 { sodium_memzero(base, buf.count) }
    }
  }

  /// Constant-time comparison of two equal-length byte buffers; false when the lengths differ.
  public static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
  }
}
