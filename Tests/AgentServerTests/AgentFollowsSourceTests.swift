import AgentServer
import Foundation
import KeyholdCrypto
import SSHKeys
import SSHWire
import Synchronization
import Testing

/// A vault whose contents the test changes while the agent runs; it keeps an "open" state after an unlock, as the
/// real vault source keeps the data key.
final class ChangingKeySource: AgentKeySource, @unchecked Sendable {
  struct State {
    var keys: [PrivateKey]
    var generation: UInt64 = 1
    var open = false
    var reloadFails = false
    var unlocks = 0
    var closes = 0
    var reads = 0
  }
  let state: Mutex<State>

  init(keys: [PrivateKey]) { state = Mutex(State(keys: keys)) }

  func set(_ keys: [PrivateKey]) {
    state.withLock {
      $0.keys = keys
      $0.generation += 1
    }
  }

  func publicKeys() throws -> [AgentSourceKey] {
    state.withLock { s in
      s.reads += 1
      return s.keys.map { AgentSourceKey(blob: $0.publicKey.blob, comment: $0.comment) }
    }
  }

  func unlock(passphrase: SecureBytes) throws -> [PrivateKey] {
    try state.withLock { s in
      s.unlocks += 1
      guard passphrase.unsafeCopy() == Array("vault-pass".utf8) else { throw MemoryKeySource.WrongPassphrase() }
      s.open = true
      return s.keys
    }
  }

  func generation() -> UInt64 { state.withLock { $0.generation } }

  struct Rekeyed: Error {}

  func reload() throws -> [PrivateKey]? {
    try state.withLock { s in
      guard s.open else { return nil }
      if s.reloadFails {
        s.open = false
        throw Rekeyed()
      }
      return s.keys
    }
  }

  func close() {
    state.withLock {
      $0.open = false
      $0.closes += 1
    }
  }
}

@Suite struct AgentFollowsSourceTests {
  /// Checks the source before every request, so a change made by the test is seen by the next one.
  static var following: AgentConfiguration {
    var c = AgentConfiguration(lazyUnlock: false)
    c.vaultCheckInterval = 0
    return c
  }

  static let unlock = AgentRequest.extension(.vaultUnlock(passphrase: Array("vault-pass".utf8), timeoutSeconds: 0))
  static let status = AgentRequest.extension(.other(name: AgentStatus.extensionName, contents: []))

  static func status(_ c: AgentClient) throws -> AgentStatus? {
    guard case .extensionResponse(.other(AgentStatus.extensionName, let contents)) = try c.call(Self.status) else {
      return nil
    }
    return AgentStatus.decode(contents)
  }

  static func signs(_ c: AgentClient, _ key: PrivateKey) throws -> Bool {
    if case .signResponse = try c.call(AgentKeyringTests.sign(key)) { return true }
    return false
  }

  @Test func keysRemovedFromTheOpenVaultStopSigningAndRenamedOnesTakeTheirNewName() throws {
    let a = try AgentKeyringTests.key("a")
    let b = try AgentKeyringTests.key("b")
    let source = ChangingKeySource(keys: [a, b])
    let t = try TestAgent(configuration: Self.following, source: source)
    let c = try t.client()
    #expect(try c.call(Self.unlock) == .success)
    #expect(try Self.signs(c, a))
    source.set([b.withComment("renamed")])
    #expect(try !Self.signs(c, a))
    #expect(try AgentKeyringTests.listed(c) == ["renamed"])
    #expect(try Self.signs(c, b))
  }

  @Test func aKeyAddedToTheOpenVaultIsListedAndSignsWithoutAnotherUnlock() throws {
    let a = try AgentKeyringTests.key("a")
    let source = ChangingKeySource(keys: [a])
    let t = try TestAgent(configuration: Self.following, source: source)
    let c = try t.client()
    #expect(try c.call(Self.unlock) == .success)
    let n = try AgentKeyringTests.key("new")
    source.set([a, n])
    #expect(try Self.signs(c, n))
    #expect(try AgentKeyringTests.listed(c) == ["a", "new"])
    #expect(source.state.withLock { $0.unlocks } == 1)
  }

  @Test func aVaultThatCanNoLongerBeReadOpenIsSealed() throws {
    let a = try AgentKeyringTests.key("a")
    let source = ChangingKeySource(keys: [a])
    let t = try TestAgent(configuration: Self.following, source: source)
    let c = try t.client()
    #expect(try c.call(Self.unlock) == .success)
    source.state.withLock { $0.reloadFails = true }
    source.set([a])
    #expect(try !Self.signs(c, a))
    #expect(try Self.status(c)?.vault == .sealed)
  }

  @Test func sealingTheVaultLetsTheSourceForgetItsKey() throws {
    let source = ChangingKeySource(keys: [try AgentKeyringTests.key("a")])
    let t = try TestAgent(configuration: Self.following, source: source)
    let c = try t.client()
    #expect(try c.call(Self.unlock) == .success)
    #expect(source.state.withLock { $0.open })
    #expect(try c.call(.extension(.vaultLock)) == .success)
    #expect(!source.state.withLock { $0.open })
    #expect(try c.call(Self.unlock) == .success)
    #expect(try c.call(.lock(passphrase: Array("pw".utf8))) == .success)
    #expect(!source.state.withLock { $0.open })
  }

  @Test func queryLeavesOutTheVaultExtensionsWithoutAVault() throws {
    let none = try TestAgent()
    guard case .extensionResponse(.query(let names)) = try none.client().call(.extension(.query)) else {
      Issue.record("no query reply")
      return
    }
    #expect(!names.contains(AgentExtensionRequest.Name.vaultUnlock))
    #expect(names.contains(AgentStatus.extensionName))
    let vault = try TestAgent(source: ChangingKeySource(keys: []))
    guard case .extensionResponse(.query(let all)) = try vault.client().call(.extension(.query)) else {
      Issue.record("no query reply")
      return
    }
    #expect(all.contains(AgentExtensionRequest.Name.vaultUnlock))
  }

  @Test func statusReportsTheVaultStateHowLongAndTheKeyCounts() throws {
    let clock = ManualClock()
    var configuration = AgentConfiguration(lazyUnlock: true, clock: clock)
    configuration.socketPath = "/run/test.sock"
    let t = try TestAgent(
      configuration: configuration, source: ChangingKeySource(keys: [try AgentKeyringTests.key("a")]))
    let c = try t.client()
    clock.advance(30)
    let sealed = try #require(try Self.status(c))
    #expect(sealed.vault == .sealed)
    #expect(sealed.vaultSeconds == 30)
    #expect(sealed.vaultKeys == 1 && sealed.listedVaultKeys == 1 && sealed.addedKeys == 0)
    #expect(sealed.socketPath == "/run/test.sock")
    #expect(sealed.pid == UInt32(getpid()))
    #expect(sealed.sealedNote.isEmpty)
    #expect(
      try c.call(.extension(.vaultUnlock(passphrase: Array("vault-pass".utf8), timeoutSeconds: 600))) == .success)
    clock.advance(100)
    let open = try #require(try Self.status(c))
    #expect(open.vault == .open && open.vaultSeconds == 100 && open.secondsLeft == 500)
    #expect(try c.call(.lock(passphrase: Array("pw".utf8))) == .success)
    let locked = try #require(try Self.status(c))
    #expect(locked.locked && locked.vault == .sealed && locked.vaultSeconds == 0)
  }

  @Test func withoutAPromptSealedKeysAreNotListedAndStatusSaysWhy() throws {
    let lines = Mutex<[String]>([])
    var configuration = AgentConfiguration(lazyUnlock: false, log: { _, line in lines.withLock { $0.append(line) } })
    configuration.promptUnavailable = "no askpass program"
    let t = try TestAgent(
      configuration: configuration, source: ChangingKeySource(keys: [try AgentKeyringTests.key("a")]))
    let c = try t.client()
    #expect(try AgentKeyringTests.listed(c).isEmpty)
    #expect(try AgentKeyringTests.listed(c).isEmpty)
    let status = try #require(try Self.status(c))
    #expect(status.vaultKeys == 1 && status.listedVaultKeys == 0)
    #expect(status.sealedNote == "no askpass program")
    #expect(lines.withLock { $0.filter { $0.contains("sealed vault keys are not listed") }.count } == 1)
  }

  @Test func theStatusReplyRoundTripsAndRefusesGarbage() {
    let s = AgentStatus(
      locked: false, vault: .open, vaultSeconds: 12, secondsLeft: 34, addedKeys: 1, vaultKeys: 2, listedVaultKeys: 2,
      socketPath: "/s", pid: 42, sealedNote: "")
    #expect(AgentStatus.decode(s.encode()) == s)
    #expect(AgentStatus.decode([1, 9]) == nil)
    #expect(AgentStatus.decode(Array(s.encode().dropLast())) == nil)
  }
}

@Test func listingsStatusAndUnknownKeysCheckTheVaultEveryTimeOtherSignaturesOncePerInterval() throws {
  let a = try AgentKeyringTests.key("a")
  let b = try AgentKeyringTests.key("b")
  let source = ChangingKeySource(keys: [a])
  var configuration = AgentConfiguration(lazyUnlock: false)
  configuration.vaultCheckInterval = 3_600_000_000_000  // an hour: only the first signature may look
  let t = try TestAgent(configuration: configuration, source: source)
  let c = try t.client()
  #expect(try c.call(AgentFollowsSourceTests.unlock) == .success)
  #expect(try AgentFollowsSourceTests.signs(c, a))  // the signatures' look for the hour
  source.set([a, b])
  #expect(try AgentFollowsSourceTests.signs(c, b))  // a key the agent does not hold is looked for at once
  source.set([b])
  #expect(try AgentFollowsSourceTests.signs(c, a))  // within the interval a removed key still signs
  #expect(try AgentKeyringTests.listed(c) == ["b"])  // a listing looks at once
  #expect(try !AgentFollowsSourceTests.signs(c, a))
  source.set([a, b])
  #expect(try AgentFollowsSourceTests.status(c)?.vaultKeys == 2)  // so does a status request
  #expect(try AgentKeyringTests.listed(c) == ["a", "b"])
  let reads = source.state.withLock { $0.reads }
  #expect(try AgentKeyringTests.listed(c) == ["a", "b"])  // with nothing changed, a listing reads nothing
  #expect(source.state.withLock { $0.reads } == reads)
  #expect(source.state.withLock { $0.unlocks } == 1)
}
