import AgentServer
import Foundation
import KeyholdCrypto
import SSHKeys
import SSHWire
import Synchronization
import Testing

/// A ``ChangingKeySource`` whose next successful unlock runs `duringUnlock` after the source kept its session and
/// before the agent commits the opening: the test puts a seal or a timeout exactly there, with no threads or sleeps.
final class InterleavingKeySource: AgentKeySource, @unchecked Sendable {
  let inner: ChangingKeySource
  let duringUnlock = Mutex<(@Sendable () -> Void)?>(nil)

  init(keys: [PrivateKey]) { inner = ChangingKeySource(keys: keys) }

  func publicKeys() throws -> [AgentSourceKey] { try inner.publicKeys() }
  func unlock(passphrase: SecureBytes) throws -> [PrivateKey] {
    let keys = try inner.unlock(passphrase: passphrase)
    let hook = duringUnlock.withLock { h in
      defer { h = nil }
      return h
    }
    hook?()
    return keys
  }
  func generation() -> UInt64 { inner.generation() }
  func reload() throws -> [PrivateKey]? { try inner.reload() }
  func close() { inner.close() }
  var keptOpen: Bool { inner.state.withLock { $0.open } }
}

@Suite struct AgentVaultOrderingTests {
  static func connection() -> AgentConnectionState { AgentConnectionState(peerUID: 0, peerPID: 1, number: 99) }

  static func listed(_ agent: Agent) -> [String] {
    var c = connection()
    guard case .identitiesAnswer(let ids) = agent.respond(to: .requestIdentities, connection: &c) else { return [] }
    return ids.map(\.comment)
  }

  static func call(_ agent: Agent, _ request: AgentRequest) -> AgentResponse {
    var c = connection()
    return agent.respond(to: request, connection: &c)
  }

  @Test func aSealArrivingDuringAnOpeningCancelsItAndNoSessionIsKept() throws {
    let a = try AgentKeyringTests.key("a")
    let source = InterleavingKeySource(keys: [a])
    let agent = Agent(configuration: AgentFollowsSourceTests.following, source: source)
    let sealReply = Mutex<AgentResponse?>(nil)
    source.duringUnlock.withLock { [agent] in
      $0 = { sealReply.withLock { $0 = Self.call(agent, .extension(.vaultLock)) } }
    }
    #expect(Self.call(agent, AgentFollowsSourceTests.unlock) == .extensionFailure)
    #expect(sealReply.withLock { $0 } == .success)
    // Sealed, and consistently so: the source forgot the session the cancelled opening had made.
    #expect(Self.call(agent, AgentKeyringTests.sign(a)) == .failure)
    #expect(!source.keptOpen)
    #expect(source.inner.state.withLock { $0.closes } >= 1)

    // The next opening keeps its session: a key imported while open signs without another unlock.
    #expect(Self.call(agent, AgentFollowsSourceTests.unlock) == .success)
    #expect(source.keptOpen)
    let b = try AgentKeyringTests.key("b")
    source.inner.set([a, b])
    #expect(Self.listed(agent) == ["a", "b"])
    guard case .signResponse = Self.call(agent, AgentKeyringTests.sign(b)) else {
      Issue.record("the key imported while open did not sign")
      return
    }
    #expect(source.inner.state.withLock { $0.unlocks } == 2)
  }

  @Test func anEarlierOpeningsTimeoutDuringANewOpeningLeavesItOpenWithItsSession() throws {
    let a = try AgentKeyringTests.key("a")
    let source = InterleavingKeySource(keys: [a])
    let clock = ManualClock()
    var configuration = AgentFollowsSourceTests.following
    configuration.clock = clock
    let agent = Agent(configuration: configuration, source: source)
    let timed = AgentRequest.extension(.vaultUnlock(passphrase: Array("vault-pass".utf8), timeoutSeconds: 600))
    #expect(Self.call(agent, timed) == .success)
    // Opened again without a timeout; the first opening's timeout falls between the source keeping the new
    // session and the agent committing the keys.
    source.duringUnlock.withLock { [agent] in
      $0 = {
        clock.advance(601)
        agent.reapExpired()
      }
    }
    #expect(Self.call(agent, AgentFollowsSourceTests.unlock) == .success)
    #expect(source.keptOpen)
    let b = try AgentKeyringTests.key("b")
    source.inner.set([a, b])
    #expect(Self.listed(agent) == ["a", "b"])
    guard case .signResponse = Self.call(agent, AgentKeyringTests.sign(b)) else {
      Issue.record("the key imported while open did not sign")
      return
    }
    #expect(source.inner.state.withLock { $0.unlocks } == 2)
  }

  @Test func aSealAfterTheOpeningCommittedSealsItAndForgetsTheSession() throws {
    let a = try AgentKeyringTests.key("a")
    let source = InterleavingKeySource(keys: [a])
    let agent = Agent(configuration: AgentFollowsSourceTests.following, source: source)
    #expect(Self.call(agent, AgentFollowsSourceTests.unlock) == .success)
    #expect(Self.call(agent, .lock(passphrase: Array("pw".utf8))) == .success)
    #expect(!source.keptOpen)
    #expect(Self.call(agent, .unlock(passphrase: Array("pw".utf8))) == .success)
  }
}
