import Foundation
import Testing

@testable import KeyholdCrypto

/// The guarded arena behind SecureBytes. Most tests use their own arena, so concurrent tests cannot disturb the
/// counts or reuse a slot under inspection.
struct SecureArenaTests {
  @Test func everyChunkIsReturnedWhateverTheOrderOfRelease() {
    let arena = SecureArena()
    for order in 0..<3 {
      var regions: [(SecureArena.Region, Int)] = []
      for i in 0..<3_000 {
        let count = 1 + (i * 37) % 4096
        regions.append((arena.allocate(count)!, count))
      }
      #expect(arena.statistics.slots == 3_000)
      switch order {
      case 0: regions.reverse()
      case 1:
        regions = regions.enumerated().sorted { ($0.offset % 7, $0.offset) < ($1.offset % 7, $1.offset) }
          .map(\.element)
      default: break
      }
      // Release half, allocate again into the holes, then release everything.
      for (r, n) in regions[..<1_500] { arena.release(r, count: n) }
      var again: [(SecureArena.Region, Int)] = []
      for i in 0..<1_500 { again.append((arena.allocate(64 + i % 100)!, 64 + i % 100)) }
      for (r, n) in regions[1_500...] + again { arena.release(r, count: n) }
      #expect(arena.statistics == SecureArena.Statistics(chunks: 0, slots: 0, dedicated: 0))
    }
  }

  @Test func everySlotIsSixteenByteAligned() {
    let arena = SecureArena()
    var regions: [(SecureArena.Region, Int)] = []
    for count in 1...SecureArena.largestSlot {
      let r = arena.allocate(count)!
      #expect(UInt(bitPattern: r.pointer!) % 16 == 0, "\(count) bytes")
      regions.append((r, count))
    }
    for (r, n) in regions { arena.release(r, count: n) }
    #expect(arena.statistics.chunks == 0)
  }

  @Test func aReleasedSlotIsWipedWhileItsChunkLivesOn() {
    let arena = SecureArena()
    let kept = arena.allocate(64)!
    let released = arena.allocate(64)!
    #expect(kept.chunk == released.chunk)
    let p = released.pointer!
    memset(p, 0xa5, 64)
    arena.release(released, count: 64)
    // The chunk is still mapped (it holds `kept`), so the released bytes can be inspected.
    let bytes = Array(UnsafeRawBufferPointer(start: p, count: 64))
    #expect(bytes == [UInt8](repeating: 0, count: 64))
    arena.release(kept, count: 64)
  }

  /// One `sodium_malloc` per secret used three mappings each, and about 9,000 keys reached the kernel's
  /// 65,530-mapping limit, where SecureBytes stopped the process. Twenty thousand secrets now fit in a few chunks.
  @Test func twentyThousandSmallSecretsTakeAFewChunks() {
    let arena = SecureArena()
    var regions: [(SecureArena.Region, Int)] = []
    for i in 0..<20_000 {
      let count = i.isMultiple(of: 2) ? 64 : 119
      regions.append((arena.allocate(count)!, count))
    }
    // 64-byte slots: 1,023 per chunk; 128-byte slots: 511 per chunk.
    #expect(arena.statistics.chunks == 10 + 20)
    for (r, n) in regions { arena.release(r, count: n) }
    #expect(arena.statistics.chunks == 0)
  }

  @Test func aLargeSecretGetsItsOwnAllocation() {
    let arena = SecureArena()
    let r = arena.allocate(SecureArena.largestSlot + 1)!
    #expect(r.chunk == nil)
    #expect(arena.statistics == SecureArena.Statistics(chunks: 0, slots: 0, dedicated: 1))
    arena.release(r, count: SecureArena.largestSlot + 1)
    #expect(arena.statistics.dedicated == 0)
  }

  @Test func manyThreadsAllocatingAndReleasingKeepEverySecretIntact() {
    let arena = SecureArena()
    let corrupted = Counter()
    DispatchQueue.concurrentPerform(iterations: 8) { thread in
      var held: [(SecureArena.Region, Int, UInt8)] = []
      for i in 0..<4_000 {
        let count = 1 + (i * 131 + thread * 17) % 700
        let mark = UInt8(truncatingIfNeeded: thread &* 31 &+ i)
        let r = arena.allocate(count)!
        memset(r.pointer!, Int32(mark), count)
        held.append((r, count, mark))
        if i % 3 == 2 {
          // Release an older secret, checking that nobody wrote over it.
          let (old, n, m) = held.remove(at: held.count / 2)
          if !UnsafeRawBufferPointer(start: old.pointer, count: n).allSatisfy({ $0 == m }) { corrupted.add() }
          arena.release(old, count: n)
        }
      }
      for (r, n, m) in held {
        if !UnsafeRawBufferPointer(start: r.pointer, count: n).allSatisfy({ $0 == m }) { corrupted.add() }
        arena.release(r, count: n)
      }
    }
    #expect(corrupted.value == 0)
    #expect(arena.statistics == SecureArena.Statistics(chunks: 0, slots: 0, dedicated: 0))
  }

  @Test func secureBytesFromManyThreadsHoldWhatWasWritten() {
    let bad = Counter()
    DispatchQueue.concurrentPerform(iterations: 8) { thread in
      var held: [SecureBytes] = []
      for i in 0..<1_000 {
        let bytes = (0..<(1 + (i + thread) % 300)).map { UInt8(truncatingIfNeeded: $0 &+ thread) }
        let secret = SecureBytes(copying: bytes)
        if secret.unsafeCopy() != bytes { bad.add() }
        held.append(secret)
        if i % 2 == 1 { held.removeFirst() }
      }
    }
    #expect(bad.value == 0)
  }

  @Test func aSimulatedLimitMakesAllocationThrowInsteadOfTrapping() throws {
    let error = SecureBytes.withSimulatedLimit(bytes: 100) { () -> SecureBytes.AllocationError? in
      do throws(SecureBytes.AllocationError) {
        _ = try SecureBytes.allocate(count: 64) { _ in }
        _ = try SecureBytes.allocate(copying: [UInt8](repeating: 1, count: 64))
        return nil
      } catch {
        return error
      }
    }
    #expect(error == SecureBytes.AllocationError(count: 64))
    #expect(error?.description == "out of secure memory (64 bytes asked for)")
    // Outside the scope nothing is limited.
    #expect(try SecureBytes.allocate(count: 64) { _ in }.count == 64)
  }
}

/// A thread-safe counter for the concurrency tests.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  func add() { lock.withLock { count += 1 } }
  var value: Int { lock.withLock { count } }
}
