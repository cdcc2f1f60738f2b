import Synchronization

/// One failure counter and back-off for every passphrase the socket accepts: SSH_AGENTC_UNLOCK (the lock hash, or
/// the vault through UNLOCK), `vault-unlock@keyhold` and lazy unlock.
///
/// A guesser cannot switch to another way in to reset its delay. The back-off is taken before the key derivation
/// runs, by the connection that makes the attempt and while it holds no lock, so other clients' requests are never
/// delayed by it; and derivations run one at a time, so parallel guesses cannot multiply the rate or the memory.
final class PassphraseGuard: Sendable {
  /// The most failures counted: the back-off stops growing at 100 × 0.1 s = 10 s, as OpenSSH's ssh-agent.
  static let maximumFailures: UInt32 = 100
  /// Back-off per failure in a row, in milliseconds.
  static let stepMilliseconds: UInt32 = 100

  private let failures = Mutex<UInt32>(0)
  private let derivation = Mutex<Void>(())
  private let pause: @Sendable (_ milliseconds: UInt32) -> Void

  /// Creates a guard whose back-off waits through `pause`.
  init(pause: @escaping @Sendable (_ milliseconds: UInt32) -> Void) {
    self.pause = pause
  }

  /// Failed attempts in a row.
  var failureCount: UInt32 { failures.withLock { $0 } }

  /// Waits out the back-off the failures so far have earned; call before ``check(_:)``, holding no lock.
  func backOff() {
    let n = failures.withLock { $0 }
    if n > 0 { pause(n * Self.stepMilliseconds) }
  }

  /// Runs `derive` (a key derivation that throws when the passphrase is wrong) with no other derivation running,
  /// and counts the outcome: a failure grows the back-off, a success clears it.
  func check<R>(_ derive: () throws(AgentFailure) -> R) throws(AgentFailure) -> R {
    do throws(AgentFailure) {
      let result = try derivation.withLock { _ throws(AgentFailure) in try derive() }
      failures.withLock { $0 = 0 }
      return result
    } catch {
      failures.withLock { $0 = min($0 + 1, Self.maximumFailures) }
      throw error
    }
  }

  /// ``backOff()``, then ``check(_:)``.
  func attempt<R>(_ derive: () throws(AgentFailure) -> R) throws(AgentFailure) -> R {
    backOff()
    return try check(derive)
  }

  /// Runs a derivation that is not a guess (hashing a new lock passphrase) in turn with the others.
  func derive<R>(_ body: () throws(AgentFailure) -> R) throws(AgentFailure) -> R {
    try derivation.withLock { _ throws(AgentFailure) in try body() }
  }
}
