#if canImport(Glibc)
  import Glibc
#endif

/// The time and the waiting a use case needs, injected so that tests pass the five-minute grace or the pauses
/// between re-listings as values instead of sleeping through them.
public struct UseCaseClock: Sendable {
  /// The current time, in seconds since the Unix epoch.
  public var now: @Sendable () -> Int64
  /// Waits this many seconds.
  public var pause: @Sendable (Double) async -> Void

  /// Creates a clock.
  public init(now: @escaping @Sendable () -> Int64, pause: @escaping @Sendable (Double) async -> Void) {
    self.now = now
    self.pause = pause
  }

  /// The C library's clock (which `faketime` shifts too), and real pauses.
  public static let system = UseCaseClock(
    now: { Int64(time(nil)) },
    pause: { seconds in try? await Task.sleep(nanoseconds: UInt64(max(0, min(seconds, 3600)) * 1_000_000_000)) })
}
