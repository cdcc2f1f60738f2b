import Synchronization

extension SecureBytes {
  /// A budget of guarded bytes shared by the allocations made under ``withSimulatedLimit(bytes:_:)``.
  public final class SimulatedLimit: Sendable {
    private let remaining: Atomic<Int>

    init(bytes: Int) { remaining = Atomic(bytes) }

    /// Takes `count` bytes from the budget; false (and nothing taken) when fewer remain.
    func take(_ count: Int) -> Bool {
      var current = remaining.load(ordering: .relaxed)
      while current >= count {
        let (exchanged, original) = remaining.compareExchange(
          expected: current, desired: current - count, ordering: .relaxed)
        if exchanged { return true }
        current = original
      }
      return false
    }
  }

  /// The budget in force for the current task, if any. Code that hands work to its own threads reads it and binds
  /// it there (`$simulatedLimit.withValue`), so the limit follows the work.
  @TaskLocal public static var simulatedLimit: SimulatedLimit?

  /// Runs `body` as if only `bytes` more bytes of guarded memory could be had (released secrets are not given
  /// back): a fault-injection hook for tests of the out-of-memory paths. It applies to the current task, to what
  /// it calls, and to the worker threads that bind ``simulatedLimit``; other threads are not
  /// affected.
  public static func withSimulatedLimit<R>(bytes: Int, _ body: () throws -> R) rethrows -> R {
    try $simulatedLimit.withValue(SimulatedLimit(bytes: bytes), operation: body)
  }
}
