import Dispatch
import KeyholdCrypto
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

extension PrivateKey {
  /// Decodes many stored keys (see ``decodeStoredWire(_:)``) held in one guarded buffer, on every core, and returns
  /// one result per range, in order. Unlocking a vault is CPU-bound key building, so it scales with the cores.
  /// `comments`, when given, has one comment per range, each key built with its own.
  public static func decodeStoredWires(_ storage: SecureBytes, ranges: [Range<Int>], comments: [String] = [])
    -> [Result<PrivateKey, KeyError>]
  {
    let count = ranges.count
    if count == 0 { return [] }
    precondition(comments.isEmpty || comments.count == count, "one comment per stored key")
    let decodeOne: @Sendable (Int) -> Result<PrivateKey, KeyError> = { i in
      storage.withUnsafeBytes { all in
        guard ranges[i].lowerBound >= 0, ranges[i].upperBound <= all.count else {
          return .failure(.malformed("stored key outside its buffer"))
        }
        let comment = comments.isEmpty ? "" : comments[i]
        return Result { () throws(KeyError) in
          try decodeStoredWire(UnsafeRawBufferPointer(rebasing: all[ranges[i]]), comment: comment)
        }
      }
    }
    // Threads only pay off for more than a handful of keys.
    let workers = min(max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1), (count + 15) / 16)
    if workers <= 1 { return (0..<count).map(decodeOne) }
    let results = ResultSlots(count: count)
    let next = Atomic<Int>(0)
    // The simulated limit of tests is task-local; hand it to the worker threads explicitly.
    let limit = SecureBytes.simulatedLimit
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      SecureBytes.$simulatedLimit.withValue(limit) {
        while true {
          let i = next.add(1, ordering: .relaxed).oldValue
          guard i < count else { return }
          results.set(i, decodeOne(i))
        }
      }
    }
    return results.collect()
  }
}

/// One slot per result, each written by exactly one worker and read after all have finished.
private final class ResultSlots: @unchecked Sendable {
  private let slots: UnsafeMutableBufferPointer<Result<PrivateKey, KeyError>?>

  init(count: Int) {
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil)
  }

  deinit {
    slots.deinitialize()
    slots.deallocate()
  }

  func set(_ i: Int, _ value: Result<PrivateKey, KeyError>) { slots[i] = value }

  func collect() -> [Result<PrivateKey, KeyError>] { slots.map { $0! } }
}
