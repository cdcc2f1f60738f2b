import KeyholdCrypto
import SSHKeys
import SSHWire
import Testing

@testable import AgentServer

/// The keyring on values: no socket, no wire, a clock moved by hand.
@Suite struct KeyringTests {
  static func identity(_ comment: String, expiry: UInt64? = nil, restricted: Bool = false) throws -> KeyIdentity {
    let key = try PrivateKey.generate(.ed25519, comment: comment)
    let rule = DestinationConstraint(
      from: DestinationHop(hostname: "", hostKeys: []), to: DestinationHop(hostname: "h", hostKeys: []))
    return KeyIdentity(
      blob: key.publicKey.blob, comment: comment, key: key, expiry: expiry, destinations: restricted ? [rule] : [])
  }

  static func comments(_ listing: [AgentIdentity]) -> [String] { listing.map(\.comment) }

  static func everyone(_: KeyIdentity) -> Bool { true }

  @Test func addedKeysAreListedInTheOrderAdded() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    for name in ["a", "b", "c"] { try ring.add(try Self.identity(name), visible: Self.everyone) }
    #expect(Self.comments(ring.list(visible: nil)) == ["a", "b", "c"])
  }

  @Test func reAddingReplacesTheKeyInItsPlace() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    let a = try Self.identity("a")
    try ring.add(a, visible: Self.everyone)
    try ring.add(try Self.identity("b"), visible: Self.everyone)
    try ring.add(KeyIdentity(blob: a.blob, comment: "a again", key: a.key, confirm: true), visible: Self.everyone)
    #expect(Self.comments(ring.list(visible: nil)) == ["a again", "b"])
    guard case .key(let found) = ring.target(a.blob) else {
      Issue.record("re-added key not found")
      return
    }
    #expect(found.confirm)
  }

  @Test func aKeyTheConnectionCannotSeeIsNeitherReplacedNorRemoved() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    let a = try Self.identity("a", restricted: true)
    try ring.add(a, visible: Self.everyone)
    #expect(throws: AgentFailure.self) { try ring.add(a, visible: { _ in false }) }
    #expect(throws: AgentFailure.self) { try ring.remove(a.blob, visible: { _ in false }) }
    #expect(Self.comments(ring.list(visible: nil)) == ["a"])
  }

  @Test func removingAnUnknownKeyFails() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    #expect(throws: AgentFailure.self) { try ring.remove([1, 2, 3], visible: Self.everyone) }
  }

  @Test func cachedListingFollowsEveryChange() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    let a = try Self.identity("a")
    try ring.add(a, visible: Self.everyone)
    #expect(Self.comments(ring.list(visible: nil)) == ["a"])
    try ring.add(try Self.identity("b"), visible: Self.everyone)
    #expect(Self.comments(ring.list(visible: nil)) == ["a", "b"])
    try ring.remove(a.blob, visible: Self.everyone)
    #expect(Self.comments(ring.list(visible: nil)) == ["b"])
    ring.removeAll()
    #expect(ring.list(visible: nil).isEmpty)
  }

  @Test func removalsKeepOrderAndLookupsThroughCompaction() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    let ids = try (0..<100).map { try Self.identity("k\($0)") }
    for id in ids { try ring.add(id, visible: Self.everyone) }
    for (i, id) in ids.enumerated() where i % 3 != 0 { try ring.remove(id.blob, visible: Self.everyone) }
    let kept = ids.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
    #expect(Self.comments(ring.list(visible: nil)) == kept.map(\.comment))
    for id in kept {
      guard case .key(let found) = ring.target(id.blob) else {
        Issue.record("\(id.comment) lost")
        continue
      }
      #expect(found.comment == id.comment)
    }
    guard case .none = ring.target(ids[1].blob) else {
      Issue.record("removed key still found")
      return
    }
  }

  @Test func keysExpireOnTheInjectedClock() throws {
    let clock = ManualClock()
    let ring = Keyring(clock: clock, hasVault: false, listSealed: true)
    try ring.add(try Self.identity("short", expiry: clock.now() + 10), visible: Self.everyone)
    try ring.add(try Self.identity("longer", expiry: clock.now() + 20), visible: Self.everyone)
    try ring.add(try Self.identity("forever"), visible: Self.everyone)
    clock.advance(10)
    ring.reapExpired()
    #expect(Self.comments(ring.list(visible: nil)) == ["longer", "forever"])
    clock.advance(9)
    ring.reapExpired()
    #expect(Self.comments(ring.list(visible: nil)) == ["longer", "forever"])
    clock.advance(1)
    ring.reapExpired()
    #expect(Self.comments(ring.list(visible: nil)) == ["forever"])
  }

  @Test func restrictedKeysAreFilteredOnlyForBoundConnections() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    try ring.add(try Self.identity("plain"), visible: Self.everyone)
    try ring.add(try Self.identity("restricted", restricted: true), visible: Self.everyone)
    let hideRestricted: (KeyIdentity) -> Bool = { $0.destinations.isEmpty }
    #expect(Self.comments(ring.list(visible: hideRestricted)) == ["plain"])
    #expect(Self.comments(ring.list(visible: nil)) == ["plain", "restricted"])
  }

  @Test func lockedKeyringListsNothingAndUnlockRestoresTheListing() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    try ring.add(try Self.identity("a"), visible: Self.everyone)
    let hash = try LockHash(
      passphrase: SecureBytes(copying: Array("pw".utf8)), parameters: Sodium.KDFParameters(opsLimit: 1, memLimit: 8192))
    try ring.lock(hash)
    #expect(ring.reapAndCheckLocked())
    #expect(ring.list(visible: nil).isEmpty)
    #expect(throws: AgentFailure.self) { try ring.lock(hash) }
    #expect(ring.unlocked() == false)
    #expect(Self.comments(ring.list(visible: nil)) == ["a"])
  }

  @Test func sealedVaultKeysAreListedAndNamedForLazyUnlock() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: true, listSealed: true)
    let v = try Self.identity("v")
    ring.setVaultPublic([AgentSourceKey(blob: v.blob, comment: "v")], generation: 1)
    #expect(Self.comments(ring.list(visible: nil)) == ["v"])
    guard case .sealedVaultKey = ring.target(v.blob) else {
      Issue.record("sealed key not named")
      return
    }
    let strict = Keyring(clock: ManualClock(), hasVault: true, listSealed: false)
    strict.setVaultPublic([AgentSourceKey(blob: v.blob, comment: "v")], generation: 1)
    #expect(strict.list(visible: nil).isEmpty)
  }

  @Test func openVaultTimesOutOnTheInjectedClockAndAddedKeysStay() throws {
    let clock = ManualClock()
    let ring = Keyring(clock: clock, hasVault: true, listSealed: false)
    let v = try Self.identity("v")
    try ring.add(try Self.identity("mine"), visible: Self.everyone)
    ring.openVault([v], publics: [AgentSourceKey(blob: v.blob, comment: "v")], until: clock.now() + 60)
    #expect(Self.comments(ring.list(visible: nil)) == ["mine", "v"])
    #expect(ring.vaultStatus().secondsLeft == 60)
    clock.advance(60)
    ring.reapExpired()
    #expect(ring.vaultState == .sealed)
    #expect(Self.comments(ring.list(visible: nil)) == ["mine"])
  }

  @Test func anAddedKeyWinsOverTheVaultsCopyAndIsListedOnce() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: true, listSealed: true)
    let v = try Self.identity("vault copy")
    ring.openVault([v], publics: [], until: nil)
    try ring.add(KeyIdentity(blob: v.blob, comment: "added copy", key: v.key, confirm: true), visible: Self.everyone)
    #expect(Self.comments(ring.list(visible: nil)) == ["added copy"])
    guard case .key(let found) = ring.target(v.blob) else {
      Issue.record("key not found")
      return
    }
    #expect(found.comment == "added copy")
  }

  @Test func addingManyKeysIsLinear() throws {
    // 20,000 adds: rebuilding the index per add is 200 million dictionary insertions (about 45 s here); linear
    // adds take well under a second. The bound is loose for a loaded machine, not a benchmark.
    let ring = Keyring(clock: ManualClock(), hasVault: false, listSealed: true)
    let key = try PrivateKey.generate(.ed25519, comment: "shared")
    var blobs: [[UInt8]] = []
    for i in 0..<20_000 {
      var blob = key.publicKey.blob
      blob.append(contentsOf: withUnsafeBytes(of: UInt32(i).bigEndian, Array.init))
      blobs.append(blob)
    }
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
      for b in blobs { try ring.add(KeyIdentity(blob: b, comment: "k", key: key), visible: Self.everyone) }
    }
    #expect(ring.list(visible: nil).count == 20_000)
    #expect(elapsed < .seconds(10))
  }
}
