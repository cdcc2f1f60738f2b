import AgentServer
import Foundation
import KeyholdCrypto
import SSHKeys
import SSHWire
import Synchronization
import Testing

/// The keyring's policies, driven through the protocol with generated keys and an in-memory vault.
@Suite struct AgentKeyringTests {
  static func key(_ comment: String) throws -> PrivateKey { try PrivateKey.generate(.ed25519, comment: comment) }

  static func add(_ key: PrivateKey, _ constraints: [AgentConstraint] = []) throws -> AgentRequest {
    let wire = try AgentPrivateKeyWire.decode(key.encodeWire().unsafeCopy())
    return .addIDConstrained(AgentAddIdentity(key: wire, comment: key.comment, constraints: constraints))
  }

  static func sign(_ key: PrivateKey, _ data: [UInt8] = [1, 2, 3]) -> AgentRequest {
    .signRequest(AgentSignRequest(keyBlob: key.publicKey.blob, data: data, flags: 0))
  }

  static func listed(_ c: AgentClient) throws -> [String] {
    guard case .identitiesAnswer(let ids) = try c.call(.requestIdentities) else { return ["not an answer"] }
    return ids.map(\.comment)
  }

  @Test func signatureFromTheAgentVerifies() throws {
    let t = try TestAgent()
    let c = try t.client()
    let k = try Self.key("a")
    #expect(try c.call(Self.add(k)) == .success)
    guard case .signResponse(let sig) = try c.call(Self.sign(k)) else {
      Issue.record("no signature")
      return
    }
    #expect(k.publicKey.verify(signature: sig, data: [1, 2, 3]))
  }

  @Test func lifetimeIsMeasuredOnTheInjectedClock() throws {
    let clock = ManualClock()
    let t = try TestAgent(configuration: AgentConfiguration(clock: clock))
    let c = try t.client()
    #expect(try c.call(Self.add(try Self.key("short"), [.lifetime(seconds: 10)])) == .success)
    #expect(try c.call(Self.add(try Self.key("forever"))) == .success)
    clock.advance(9)
    #expect(try Self.listed(c) == ["short", "forever"])
    clock.advance(2)
    #expect(try Self.listed(c) == ["forever"])
  }

  @Test func defaultLifetimeAppliesToKeysAddedWithoutOne() throws {
    let clock = ManualClock()
    let t = try TestAgent(configuration: AgentConfiguration(defaultLifetime: 5, clock: clock))
    let c = try t.client()
    #expect(try c.call(Self.add(try Self.key("a"))) == .success)
    clock.advance(6)
    #expect(try Self.listed(c).isEmpty)
  }

  @Test func reAddingAKeyReplacesItsConstraints() throws {
    let t = try TestAgent(configuration: AgentConfiguration(confirm: { _ in false }))
    let c = try t.client()
    let k = try Self.key("a")
    #expect(try c.call(Self.add(k, [.confirm])) == .success)
    #expect(try c.call(Self.sign(k)) == .failure)
    #expect(try c.call(Self.add(k)) == .success)
    #expect(try Self.listed(c) == ["a"])
    guard case .signResponse = try c.call(Self.sign(k)) else {
      Issue.record("re-added key still asks for confirmation")
      return
    }
  }

  @Test func confirmPromptNamesTheKey() throws {
    let prompts = Mutex<[String]>([])
    let t = try TestAgent(
      configuration: AgentConfiguration(confirm: { p in
        prompts.withLock { $0.append(p) }
        return true
      }))
    let c = try t.client()
    let k = try Self.key("work key")
    _ = try c.call(Self.add(k, [.confirm]))
    guard case .signResponse = try c.call(Self.sign(k)) else {
      Issue.record("confirmed signature refused")
      return
    }
    let prompt = prompts.withLock { $0 }.first ?? ""
    #expect(prompt.hasPrefix("Allow use of key work key?\nKey fingerprint SHA256:"))
  }

  @Test func unsupportedConstraintMakesTheAddFail() throws {
    let t = try TestAgent()
    let c = try t.client()
    #expect(try c.call(Self.add(try Self.key("a"), [.maxSignatures(5)])) == .failure)
    #expect(try Self.listed(c).isEmpty)
  }

  @Test func sealedVaultKeysAreListedOnlyWithLazyUnlock() throws {
    let source = MemoryKeySource(keys: [try Self.key("v1")])
    let lazy = try TestAgent(configuration: AgentConfiguration(lazyUnlock: true), source: source)
    #expect(try Self.listed(lazy.client()) == ["v1"])
    let strict = try TestAgent(configuration: AgentConfiguration(lazyUnlock: false), source: source)
    #expect(try Self.listed(strict.client()).isEmpty)
  }

  @Test func vaultUnlockExtensionLoadsTheKeysAndVaultLockForgetsOnlyThem() throws {
    let v = try Self.key("vault key")
    let source = MemoryKeySource(keys: [v])
    let t = try TestAgent(configuration: AgentConfiguration(lazyUnlock: false), source: source)
    let c = try t.client()
    let mine = try Self.key("mine")
    _ = try c.call(Self.add(mine))
    #expect(
      try c.call(.extension(.vaultUnlock(passphrase: Array("wrong".utf8), timeoutSeconds: 0))) == .extensionFailure)
    #expect(try c.call(.extension(.vaultUnlock(passphrase: Array("vault-pass".utf8), timeoutSeconds: 0))) == .success)
    #expect(try Self.listed(c) == ["mine", "vault key"])
    guard case .signResponse = try c.call(Self.sign(v)) else {
      Issue.record("vault key does not sign")
      return
    }
    #expect(try c.call(.extension(.vaultLock)) == .success)
    #expect(try Self.listed(c) == ["mine"])
    #expect(try c.call(Self.sign(v)) == .failure)
  }

  @Test func unlockMessageOpensASealedVaultWhenTheAgentIsNotLocked() throws {
    let t = try TestAgent(
      configuration: AgentConfiguration(lazyUnlock: false), source: MemoryKeySource(keys: [try Self.key("v")]))
    let c = try t.client()
    #expect(try c.call(.unlock(passphrase: Array("vault-pass".utf8))) == .success)
    #expect(try Self.listed(c) == ["v"])
    let status = try c.call(.extension(.vaultStatus))
    #expect(
      status
        == .extensionResponse(
          .vaultStatus(AgentVaultStatus(state: .open, keyCount: 1, secondsLeft: 0, agentLocked: false))))
  }

  @Test func lockSealsTheVaultAndUnlockWithTheSamePassphraseReopensIt() throws {
    let t = try TestAgent(
      configuration: AgentConfiguration(lazyUnlock: false), source: MemoryKeySource(keys: [try Self.key("v")]))
    let c = try t.client()
    #expect(try c.call(.extension(.vaultUnlock(passphrase: Array("vault-pass".utf8), timeoutSeconds: 0))) == .success)
    #expect(try c.call(.lock(passphrase: Array("vault-pass".utf8))) == .success)
    #expect(try Self.listed(c).isEmpty)
    #expect(try c.call(.unlock(passphrase: Array("vault-pass".utf8))) == .success)
    #expect(try Self.listed(c) == ["v"])
  }

  @Test func vaultTimeoutSealsItOnTheInjectedClock() throws {
    let clock = ManualClock()
    let t = try TestAgent(
      configuration: AgentConfiguration(lazyUnlock: false, clock: clock),
      source: MemoryKeySource(keys: [try Self.key("v")]))
    let c = try t.client()
    #expect(try c.call(.extension(.vaultUnlock(passphrase: Array("vault-pass".utf8), timeoutSeconds: 60))) == .success)
    clock.advance(30)
    guard case .extensionResponse(.vaultStatus(let s)) = try c.call(.extension(.vaultStatus)) else {
      Issue.record("no status")
      return
    }
    #expect(s.state == .open)
    #expect(s.secondsLeft == 30)
    clock.advance(31)
    #expect(try Self.listed(c).isEmpty)
  }

  @Test func concurrentSignRequestsForASealedVaultKeyShareOnePrompt() throws {
    let v = try Self.key("v")
    let source = MemoryKeySource(keys: [v])
    let prompts = Mutex(0)
    let config = AgentConfiguration(
      lazyUnlock: true,
      askVaultPassphrase: { _ in
        prompts.withLock { $0 += 1 }
        usleep(200_000)  // the user types slowly; the other request must wait for this answer
        return SecureBytes(copying: Array("vault-pass".utf8))
      })
    let t = try TestAgent(configuration: config, source: source)
    let results = Mutex<[AgentResponse]>([])
    DispatchQueue.concurrentPerform(iterations: 2) { _ in
      guard let c = try? t.client(), let r = try? c.call(Self.sign(v)) else { return }
      results.withLock { $0.append(r) }
    }
    let replies = results.withLock { $0 }
    #expect(replies.count == 2)
    #expect(replies.allSatisfy { if case .signResponse = $0 { return true } else { return false } })
    #expect(prompts.withLock { $0 } == 1)
    #expect(source.unlockCount == 1)
  }

  @Test func hiddenVaultKeysAreNotListedButStillSign() throws {
    let shown = try Self.key("shown")
    let orphan = try Self.key("orphan")
    let source = MemoryKeySource(keys: [shown, orphan], hidden: [orphan.publicKey.blob])
    let t = try TestAgent(configuration: AgentConfiguration(lazyUnlock: false), source: source)
    let c = try t.client()
    _ = try c.call(.extension(.vaultUnlock(passphrase: Array("vault-pass".utf8), timeoutSeconds: 0)))
    #expect(try Self.listed(c) == ["shown"])
    guard case .signResponse = try c.call(Self.sign(orphan)) else {
      Issue.record("hidden key refused")
      return
    }
  }

  @Test func restrictedKeyIsVisibleAndUsableOnlyOnSessionsToItsHost() throws {
    let t = try TestAgent(verify: { _, _, _ in true })
    let allowedHost = try Self.key("host").publicKey.blob
    let otherHost = try Self.key("other").publicKey.blob
    let k = try Self.key("restricted")
    let rule = DestinationConstraint(
      from: DestinationHop(hostname: "", hostKeys: []),
      to: DestinationHop(hostname: "allowed.example", hostKeys: [HostKeySpec(keyBlob: allowedHost, isCA: false)]))
    #expect(try t.client().call(Self.add(k, [.restrictDestination([rule])])) == .success)

    func userauth(_ sid: [UInt8]) -> [UInt8] {
      var w = SSHWriter()
      w.writeString(sid)
      w.writeByte(50)
      w.writeString("root")
      w.writeString("ssh-connection")
      w.writeString("publickey")
      w.writeBool(true)
      w.writeString("ssh-ed25519")
      w.writeString(k.publicKey.blob)
      return w.bytes
    }
    let good = try t.client()
    _ = try good.call(
      .extension(.sessionBind(SessionBind(hostKey: allowedHost, sessionID: [7], signature: [0], isForwarding: false))))
    #expect(try Self.listed(good) == ["restricted"])
    guard case .signResponse = try good.call(Self.sign(k, userauth([7]))) else {
      Issue.record("allowed host refused")
      return
    }
    #expect(try good.call(Self.sign(k, userauth([8]))) == .failure)  // not the bound session
    #expect(try good.call(Self.sign(k, [1, 2, 3])) == .failure)  // not a userauth request

    let bad = try t.client()
    _ = try bad.call(
      .extension(.sessionBind(SessionBind(hostKey: otherHost, sessionID: [9], signature: [0], isForwarding: false))))
    #expect(try Self.listed(bad).isEmpty)
    #expect(try bad.call(Self.sign(k, userauth([9]))) == .failure)
  }
}
