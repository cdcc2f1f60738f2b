/// How the EC2 client waits and repeats calls that were throttled or hit a 5xx answer.
///
/// Exponential back-off with full jitter: before retry `n` (1-based) it sleeps `random() × min(maxDelay,
/// baseDelay × 2^(n-1))` seconds. Sleep and randomness are injected so tests see fixed delays.
public struct RetryPolicy: Sendable {
  /// Total attempts including the first.
  public var maxAttempts: Int
  /// The first back-off ceiling, in seconds.
  public var baseDelay: Double
  /// The largest back-off ceiling, in seconds.
  public var maxDelay: Double
  /// Sleeps for the given number of seconds.
  public var sleep: @Sendable (Double) async -> Void
  /// Returns a number in `0..<1`.
  public var random: @Sendable () -> Double

  /// Creates a policy; the defaults sleep for real and use the system random source.
  public init(
    maxAttempts: Int = 4, baseDelay: Double = 0.25, maxDelay: Double = 8,
    sleep: @escaping @Sendable (Double) async -> Void = RetryPolicy.realSleep,
    random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
  ) {
    self.maxAttempts = max(1, maxAttempts)
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
    self.sleep = sleep
    self.random = random
  }

  /// The pause before retry number `retry` (1 for the first retry).
  public func delay(beforeRetry retry: Int) -> Double {
    let ceiling = min(maxDelay, baseDelay * Double(1 << min(max(retry - 1, 0), 30)))
    return ceiling * random()
  }

  /// Sleeps with `Task.sleep`.
  public static let realSleep: @Sendable (Double) async -> Void = { seconds in
    guard seconds > 0 else { return }
    try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
  }
}
