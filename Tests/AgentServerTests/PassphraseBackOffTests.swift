import Foundation
import KeyholdCrypto
import SSHKeys
import SSHWire
import Synchronization
import Testing

@testable import AgentServer

/// One failure counter and back-off for every passphrase the socket accepts, taken before the key derivation.
@Suite struct PassphraseBackOffTests {
  static func connection(_ n: Int = 1) -> AgentConnectionState {
    AgentConnectionState(peerUID: 0, peerPID: 1, number: n)
  }
  static let fastLock = Sodium.KDFParameters(opsLimit: 1, memLimit: 8192)

  @Test func everyWayInSharesOneCounterAndTheWaitComesBeforeTheDerivation() throws {
    let source = MemoryKeySource(keys: [try PrivateKey.generate(.ed25519, comment: "v")])
    let pauses = Mutex<[(ms: UInt32, unlocksSoFar: Int)]>([])
    let agent = Agent(
      configuration: AgentConfiguration(
        lazyUnlock: false, pause: { ms in pauses.withLock { $0.append((ms, source.unlockCount)) } },
        lockKDF: Self.fastLock),
      source: source)
    var c = Self.connection()
    let wrong = Array("wrong".utf8)
    // Vault through UNLOCK (the agent is not locked), then the extension: one counter.
    #expect(agent.respond(to: .unlock(passphrase: wrong), connection: &c) == .failure)
    #expect(
      agent.respond(to: .extension(.vaultUnlock(passphrase: wrong, timeoutSeconds: 0)), connection: &c)
        == .extensionFailure)
    #expect(agent.respond(to: .lock(passphrase: Array("pw".utf8)), connection: &c) == .success)
    #expect(agent.respond(to: .unlock(passphrase: wrong), connection: &c) == .failure)  // the lock hash
    let seen = pauses.withLock { $0 }
    #expect(seen.map(\.ms) == [100, 200])
    // Each wait happened before the derivation it guarded: after 1 vault unlock, then after 2.
    #expect(seen.map(\.unlocksSoFar) == [1, 2])
    #expect(agent.passphrases.failureCount == 3)
    #expect(agent.respond(to: .unlock(passphrase: Array("pw".utf8)), connection: &c) == .success)
    #expect(agent.passphrases.failureCount == 0)
  }

  @Test func theGuessingConnectionWaitsAndABystanderIsAnsweredMeanwhile() throws {
    let release = NSCondition()
    let state = Mutex((waiting: false, released: false))
    let agent = Agent(
      configuration: AgentConfiguration(
        pause: { _ in
          release.lock()
          state.withLock { $0.waiting = true }
          release.broadcast()
          while !state.withLock({ $0.released }) { release.wait() }
          release.unlock()
        }, lockKDF: Self.fastLock))
    var owner = Self.connection()
    #expect(agent.respond(to: .lock(passphrase: Array("pw".utf8)), connection: &owner) == .success)
    #expect(agent.respond(to: .unlock(passphrase: Array("x".utf8)), connection: &owner) == .failure)  // 1 failure
    let guessed = Mutex<AgentResponse?>(nil)
    Thread.detachNewThread {
      var guesser = Self.connection(2)
      let r = agent.respond(to: .unlock(passphrase: Array("y".utf8)), connection: &guesser)
      guessed.withLock { $0 = r }
    }
    release.lock()
    let deadline = Date().addingTimeInterval(60)
    while !state.withLock({ $0.waiting }) && release.wait(until: deadline) {}
    release.unlock()
    #expect(state.withLock { $0.waiting })
    // The guesser is parked in its back-off; a bystander's request is answered now, not after it.
    var bystander = Self.connection(3)
    #expect(agent.respond(to: .requestIdentities, connection: &bystander) == .identitiesAnswer([]))
    #expect(guessed.withLock { $0 } == nil)
    release.lock()
    state.withLock { $0.released = true }
    release.broadcast()
    release.unlock()
    let end = Date().addingTimeInterval(60)
    while guessed.withLock({ $0 }) == nil && Date() < end { usleep(1000) }
    #expect(guessed.withLock { $0 } == .failure)
  }

  @Test func parallelGuessesRunOneDerivationAtATime() throws {
    let source = MemoryKeySource(keys: [try PrivateKey.generate(.ed25519, comment: "v")], unlockMicroseconds: 20_000)
    let agent = Agent(configuration: AgentConfiguration(lazyUnlock: false, pause: { _ in }), source: source)
    DispatchQueue.concurrentPerform(iterations: 4) { i in
      var c = Self.connection(i)
      _ = agent.respond(
        to: .extension(.vaultUnlock(passphrase: Array("guess \(i)".utf8), timeoutSeconds: 0)), connection: &c)
    }
    #expect(source.unlockCount == 4)
    #expect(source.mostConcurrentUnlocks == 1)
    #expect(agent.passphrases.failureCount == 4)
  }

  @Test func derivationsOfEveryKindNeverOverlap() {
    let guardian = PassphraseGuard(pause: { _ in })
    let running = Mutex((now: 0, most: 0))
    @Sendable func derivation() {
      running.withLock { r in
        r.now += 1
        r.most = max(r.most, r.now)
      }
      usleep(5_000)
      running.withLock { $0.now -= 1 }
    }
    DispatchQueue.concurrentPerform(iterations: 6) { i in
      if i % 2 == 0 {
        _ = try? guardian.attempt { () throws(AgentFailure) in
          derivation()
          throw .wrongPassphrase
        }
      } else {
        _ = try? guardian.derive { () throws(AgentFailure) in derivation() }
      }
    }
    #expect(running.withLock { $0.most } == 1)
    #expect(guardian.failureCount == 3)
  }
}
