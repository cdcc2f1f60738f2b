import COpenSSL
import Synchronization

/// OpenSSL's secure heap, the process-wide switch for where RSA and ECDSA private numbers live.
///
/// Ed25519 secrets are always in libsodium guarded memory (``SecureBytes``). RSA and ECDSA private numbers live
/// inside OpenSSL; once ``enable(size:)`` has run, OpenSSL keeps them in its secure heap: one mmap'd arena, locked
/// in RAM (`mlock2(MLOCK_ONFAULT)`), excluded from core dumps (`MADV_DONTDUMP`), between guard pages, and cleared
/// on free.
public enum OpenSSLSecureHeap {
  /// What the OpenSSL secure heap looks like.
  public struct Status: Sendable, Equatable {
    /// True once the heap is set up; keys built afterwards keep their private numbers in it.
    public var enabled: Bool
    /// True when the arena is also locked in RAM and fenced by guard pages (false when `mlock` was refused, for
    /// example by a low `RLIMIT_MEMLOCK`: the heap still works and is still cleared on free).
    public var locked: Bool
    /// Arena size in bytes (0 when disabled).
    public var size: Int
    /// Bytes currently handed out.
    public var used: Int

    /// Creates a status value.
    public init(enabled: Bool, locked: Bool, size: Int, used: Int) {
      self.enabled = enabled
      self.locked = locked
      self.size = size
      self.used = used
    }
  }

  /// 4 MiB. Measured with OpenSSL 3.0: an RSA-4096 key takes about 1.8 KiB of the arena (its private numbers,
  /// rounded up by the buddy allocator), RSA-2048 under 1 KiB, an ECDSA key about 300 bytes; so this holds some
  /// 2,000 RSA-4096 keys, twice the thousand keys a large vault is expected to hold.
  public static let defaultSize = 4 << 20

  /// Bytes that must be free before an RSA or ECDSA key is built (room for one RSA-16384 key).
  public static let keyHeadroom = 16 << 10

  /// The arena size and whether it is locked, once the heap is set up.
  private static let heap = Mutex<(size: Int, locked: Bool)?>(nil)

  /// Sets up OpenSSL's secure heap, once per process (later calls only report the status); call it at startup,
  /// before keys are loaded: keys built earlier stay in the ordinary heap.
  ///
  /// OpenSSL 3.0 does not fall back to the ordinary heap when the arena is full (`CRYPTO_secure_malloc` returns
  /// NULL and the key cannot be built), so key builders check ``hasRoom(for:)`` first and refuse a new key; keys
  /// already held keep signing.
  ///
  /// - Parameter size: arena size in bytes, rounded up to a power of two (OpenSSL's buddy allocator needs one).
  /// - Returns: the heap's status; `enabled` is false if OpenSSL could not map the arena.
  @discardableResult
  public static func enable(size: Int = defaultSize) -> Status {
    heap.withLock { current in
      guard current == nil, CRYPTO_secure_malloc_initialized() == 0 else { return }
      var arena = 4096
      while arena < size, arena < 1 << 30 { arena <<= 1 }
      // minsize 16: small allocations round up to it; OpenSSL returns 1 when the arena is also locked and
      // guarded, 2 when it works without that, 0 when it could not be mapped.
      let result = CRYPTO_secure_malloc_init(arena, 16)
      if result != 0 { current = (arena, result == 1) }
    }
    return status
  }

  /// The current status of OpenSSL's secure heap.
  public static var status: Status {
    guard let state = heap.withLock({ $0 }) else {
      // Not CRYPTO_secure_used(): OpenSSL 3.0 takes the heap's lock there, which does not exist before
      // initialisation (a NULL rwlock: the process crashes).
      return Status(enabled: false, locked: false, size: 0, used: 0)
    }
    return Status(enabled: true, locked: state.locked, size: state.size, used: Int(CRYPTO_secure_used()))
  }

  /// Whether a key needing `bytes` fits now: always when the heap is disabled.
  public static func hasRoom(for bytes: Int = keyHeadroom) -> Bool { hasRoom(status, for: bytes) }

  /// Whether a key needing `bytes` fits in a heap with `status`: always when the heap is disabled.
  public static func hasRoom(_ status: Status, for bytes: Int) -> Bool {
    !status.enabled || status.size - status.used >= bytes
  }
}
