#if canImport(Glibc)
  import Glibc
#endif

/// Waiting in tests on a loaded machine: poll for the condition, never sleep a fixed time and hope.
///
/// A generous timeout costs time only when the test would fail anyway; a tight one fails a correct build on a busy
/// CI machine.
public enum Poll {
  /// How long a child process or a server (moto_server, sshd, an agent) gets to start.
  public static let startup: Duration = .seconds(120)
  /// How long a single answer (a request, a prompt, an exit) may take.
  public static let answer: Duration = .seconds(60)

  /// Evaluates `condition` until it holds or `timeout` has passed; returns whether it held. The condition is
  /// evaluated once more at the deadline, so a slow last step is not mistaken for a failure.
  @discardableResult
  public static func until(
    _ timeout: Duration, every interval: Duration = .milliseconds(10), _ condition: () throws -> Bool
  ) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
      if try condition() { return true }
      pause(interval)
    }
    return try condition()
  }

  /// The time since `start` on the monotonic clock, for assertions that only hold while a lifetime has not run out.
  public static func elapsed(since start: ContinuousClock.Instant) -> Duration { ContinuousClock.now - start }

  static func pause(_ d: Duration) {
    let (s, attos) = d.components
    var left = timespec(tv_sec: Int(s), tv_nsec: Int(attos / 1_000_000_000))
    var request = left
    while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
  }
}
