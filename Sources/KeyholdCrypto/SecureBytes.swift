import CSodium

/// Ensures `sodium_init` ran once before any libsodium call; every libsodium entry point of this module checks it.
let sodiumReady: Bool = { sodium_init() >= 0 }()

/// Secret bytes in libsodium guarded memory: locked in RAM, kept out of core dumps, fenced by guard pages, wiped
/// when released.
///
/// Small secrets (up to ``SecureArena/largestSlot`` bytes: keys, passphrases, data keys) share 64 KiB guarded
/// chunks of a ``SecureArena``, so holding thousands of keys costs a few mappings rather than three per secret;
/// larger ones get their own `sodium_malloc`. The buffer is written once, at creation, and only read afterwards,
/// so the value can be shared across threads. A secret with its own allocation is also made read-only by the
/// MMU; one in a shared chunk cannot be (page protection covers the whole chunk, which must stay writable for the
/// next secret), but keeps the chunk's guard pages, lock and wipe-on-release.
///
/// Creation from untrusted input goes through ``allocate(count:fill:)`` or ``allocate(copying:)``, which throw
/// ``AllocationError`` when guarded memory runs out; the non-throwing initialisers stop the process instead and
/// are for internal, bounded uses.
public final class SecureBytes: @unchecked Sendable {
  /// Guarded memory could not be had (the system refused to map or lock more).
  public struct AllocationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bytes that were asked for.
    public let count: Int
    public var description: String { "out of secure memory (\(count) bytes asked for)" }
  }

  private let region: SecureArena.Region
  private var pointer: UnsafeMutableRawPointer? { region.pointer }
  /// Number of secret bytes.
  public let count: Int

  private init(region: SecureArena.Region, count: Int) {
    self.region = region
    self.count = count
  }

  /// Allocates `count` bytes of guarded memory and lets `fill` write them; stops the process if guarded memory is
  /// exhausted (use ``allocate(count:fill:)`` for sizes or counts an outsider controls).
  public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
    guard let region = SecureBytes.reserve(count) else { fatalError("out of secure memory") }
    do {
      try fill(UnsafeMutableRawBufferPointer(start: region.pointer, count: count))
    } catch {
      SecureArena.shared.release(region, count: count)
      throw error
    }
    SecureArena.shared.seal(region)
    self.region = region
    self.count = count
  }

  /// Allocates `count` bytes of guarded memory and lets `fill` write them, throwing instead of stopping the process
  /// when guarded memory is exhausted.
  public static func allocate(count: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) throws(AllocationError)
    -> SecureBytes
  {
    guard let region = reserve(count) else { throw AllocationError(count: count) }
    fill(UnsafeMutableRawBufferPointer(start: region.pointer, count: count))
    SecureArena.shared.seal(region)
    return SecureBytes(region: region, count: count)
  }

  /// Copies `bytes` into guarded memory, throwing when guarded memory is exhausted. The caller should wipe its own
  /// copy.
  public static func allocate<C: Collection>(copying bytes: C) throws(AllocationError) -> SecureBytes
  where C.Element == UInt8 {
    try allocate(count: bytes.count) { buf in
      var i = 0
      for b in bytes {
        buf[i] = b
        i += 1
      }
    }
  }

  /// Reserves guarded memory, honouring a simulated limit set by ``withSimulatedLimit(bytes:_:)``.
  private static func reserve(_ count: Int) -> SecureArena.Region? {
    precondition(sodiumReady, "libsodium failed to initialise")
    if count > 0, let limit = simulatedLimit, !limit.take(count) { return nil }
    return SecureArena.shared.allocate(count)
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
    SecureArena.shared.release(region, count: count)  // zeroes the bytes first
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

  /// Zeroes a buffer in place (sodium_memzero cannot be optimised away).
  public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    if let base = buffer.baseAddress, buffer.count > 0 { sodium_memzero(base, buffer.count) }
  }

  /// Constant-time comparison of two equal-length byte buffers; false when the lengths differ.
  public static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
  }
}
