import CSodium
import Synchronization

/// A guarded arena for small secrets: big `sodium_malloc` chunks, each cut into equal slots.
///
/// One `sodium_malloc` per secret costs four pages of address space, about three kernel mappings and an mmap, two
/// mprotect and an mlock call; at some 9,000 secrets a process reaches the kernel's default limit of 65,530 mappings
/// (`vm.max_map_count`) and every further allocation fails. The arena asks libsodium for one 64 KiB chunk at a time
/// instead: the chunk is locked in RAM, kept out of core dumps and fenced by guard pages and a canary, exactly like a
/// single `sodium_malloc` secret, and holds up to 4,094 small secrets.
///
/// What a shared chunk cannot give each secret: its own guard pages (an overrun of one slot reaches its neighbour,
/// not a guard page; only the chunk's edges are fenced) and its own read-only protection (`mprotect` works on whole
/// pages, and the chunk must stay writable for the next secret). Secrets larger than ``largestSlot`` still get their
/// own `sodium_malloc` and are made read-only after they are written.
///
/// A slot is wiped with `sodium_memzero` when its secret is released; a chunk whose last secret is released goes
/// back to the system with `sodium_free` (which zeroes it again and unlocks it). One mutex guards the bookkeeping;
/// the secrets themselves are read without it.
final class SecureArena: Sendable {
  /// Where a secret lives.
  struct Region: @unchecked Sendable {
    /// First byte of the secret (nil for an empty secret).
    let pointer: UnsafeMutableRawPointer?
    /// The chunk's base address for a slot, nil for a secret with its own `sodium_malloc` (or an empty one).
    let chunk: UInt?
  }

  /// Counts for tests and benchmarks.
  struct Statistics: Equatable, Sendable {
    /// Chunks currently mapped.
    var chunks: Int
    /// Secrets currently held in chunk slots.
    var slots: Int
    /// Secrets currently held in their own `sodium_malloc`.
    var dedicated: Int
  }

  /// Bytes of one chunk as asked of `sodium_malloc`: with libsodium's 16-byte canary it fills exactly 16 pages, and
  /// the first slot starts 16 bytes into a page-aligned region, so every slot is 16-byte aligned.
  let chunkBytes: Int
  /// Slot sizes, all multiples of 16 (so every slot keeps 16-byte alignment); about 1.5× apart, so a secret wastes
  /// at most a third of its slot.
  static let slotSizes = [16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096]
  /// The largest secret kept in a chunk slot.
  static var largestSlot: Int { slotSizes[slotSizes.count - 1] }

  /// The process-wide arena behind ``SecureBytes``.
  static let shared = SecureArena()

  private struct Chunk {
    let base: UnsafeMutableRawPointer
    let slotSize: Int
    let capacity: Int
    /// Slots from here on were never handed out.
    var fresh = 0
    /// Released slots, ready for reuse.
    var released: [Int32] = []
    /// Slots in use.
    var used = 0
    var hasRoom: Bool { fresh < capacity || !released.isEmpty }
  }

  private struct State: @unchecked Sendable {
    /// Every mapped chunk, by base address.
    var chunks: [UInt: Chunk] = [:]
    /// Per slot size, the chunks that have a free slot.
    var open: [[UInt]] = Array(repeating: [], count: SecureArena.slotSizes.count)
    var slots = 0
    var dedicated = 0
  }

  private let state = Mutex(State())

  /// An arena whose chunks are `chunkBytes` long (a multiple of 16, at least ``largestSlot``).
  init(chunkBytes: Int = 65536 - 16) {
    precondition(sodiumReady, "libsodium failed to initialise")
    precondition(chunkBytes % 16 == 0 && chunkBytes >= Self.largestSlot)
    self.chunkBytes = chunkBytes
  }

  /// Reserves `count` writable bytes, or returns nil when the system has no guarded memory left (mmap or the
  /// mapping limit refused). The caller writes them, calls ``seal(_:)`` and eventually ``release(_:count:)``.
  func allocate(_ count: Int) -> Region? {
    if count == 0 { return Region(pointer: nil, chunk: nil) }
    guard let classIndex = Self.slotSizes.firstIndex(where: { $0 >= count }) else {
      guard let p = sodium_malloc(count) else { return nil }
      state.withLock { $0.dedicated += 1 }
      return Region(pointer: p, chunk: nil)
    }
    let slotSize = Self.slotSizes[classIndex]
    return state.withLock { s -> Region? in
      var key = s.open[classIndex].last
      if key == nil {
        guard let base = sodium_malloc(chunkBytes) else { return nil }
        let k = UInt(bitPattern: base)
        s.chunks[k] = Chunk(base: base, slotSize: slotSize, capacity: chunkBytes / slotSize)
        s.open[classIndex].append(k)
        key = k
      }
      let k = key!
      var chunk = s.chunks[k]!
      let slot: Int
      if let r = chunk.released.popLast() {
        slot = Int(r)
      } else {
        slot = chunk.fresh
        chunk.fresh += 1
      }
      chunk.used += 1
      if !chunk.hasRoom { s.open[classIndex].removeLast() }
      s.chunks[k] = chunk
      s.slots += 1
      return Region(pointer: chunk.base + slot * slotSize, chunk: k)
    }
  }

  /// Makes a dedicated secret read-only once written; slots stay writable (see the type's notes).
  func seal(_ region: Region) {
    if region.chunk == nil, let p = region.pointer { sodium_mprotect_readonly(p) }
  }

  /// Wipes and releases a secret of `count` bytes.
  func release(_ region: Region, count: Int) {
    guard let p = region.pointer else { return }
    guard let k = region.chunk else {
      sodium_free(p)  // makes the region writable, zeroes it, unlocks and unmaps it
      state.withLock { $0.dedicated -= 1 }
      return
    }
    sodium_memzero(p, count)
    let emptied: UnsafeMutableRawPointer? = state.withLock { s in
      guard var chunk = s.chunks[k] else { preconditionFailure("secret released into an unknown chunk") }
      let classIndex = Self.slotSizes.firstIndex(of: chunk.slotSize)!
      let wasFull = !chunk.hasRoom
      chunk.released.append(Int32((UInt(bitPattern: p) - k) / UInt(chunk.slotSize)))
      chunk.used -= 1
      s.slots -= 1
      if chunk.used == 0 {
        s.chunks[k] = nil
        if let i = s.open[classIndex].firstIndex(of: k) { s.open[classIndex].remove(at: i) }
        return chunk.base
      }
      s.chunks[k] = chunk
      if wasFull { s.open[classIndex].append(k) }
      return nil
    }
    if let emptied { sodium_free(emptied) }
  }

  /// Current counts.
  var statistics: Statistics {
    state.withLock { Statistics(chunks: $0.chunks.count, slots: $0.slots, dedicated: $0.dedicated) }
  }
}
