import SSHKeys
import Synchronization
import Testing

@testable import Vault

/// A clock tests can move.
final class TestClock: Sendable {
  let time = Mutex<Int64>(1_700_000_000)
  func advance(_ seconds: Int64) { time.withLock { $0 += seconds } }
  var now: @Sendable () -> Int64 { { [self] in time.withLock { $0 } } }
}

/// A store with three fake keys a, b, c and a movable clock.
private func threeKeys() throws -> (TestVault, VaultStore, TestClock, [VaultEntry]) {
  let t = try TestVault()
  let clock = TestClock()
  let store = VaultStore(path: t.store.path, lockTimeout: 5, now: clock.now)
  let entries = ["a", "b", "c"].map { fakeEntry($0) }
  _ = try store.addSealed(entries.map { ($0, fakeWire($0.name)) }, passphrase: t.passphrase, force: false)
  return (t, store, clock, entries)
}

@Test func retiringManyKeysTakesThemOutOfUnlockButKeepsThemSealed() throws {
  let (t, store, clock, entries) = try threeKeys()
  defer { t.cleanup() }
  let result = try store.retire(names: ["a", "c"], reason: "orphaned", retention: 3600, passphrase: t.passphrase)
  #expect(result.retired.map(\.entry) == [entries[0], entries[2]])
  #expect(result.retired.allSatisfy { $0.retiredAt == clock.now() && $0.expiresAt == clock.now() + 3600 })
  #expect(result.purged.isEmpty)
  #expect(try store.unlockSealed(passphrase: t.passphrase).map(\.0.name) == ["b"])
  let view = try store.readPublic()
  #expect(view.entries.map(\.name) == ["b"])
  #expect(view.retired.map(\.entry.name) == ["a", "c"])
  #expect(view.retired.map(\.reason) == ["orphaned", "orphaned"])
  // The retired list is in the authenticated half.
  #expect(try store.readPublicVerified(passphrase: t.passphrase).retired == view.retired)
}

@Test func retiringAnUnknownNameWritesNothing() throws {
  let (t, store, _, _) = try threeKeys()
  defer { t.cleanup() }
  let before = fileBytes(store.path)
  #expect(throws: VaultError.noSuchKey("zz")) {
    try store.retire(names: ["a", "zz"], reason: "x", retention: 60, passphrase: t.passphrase)
  }
  #expect(throws: VaultError.invalidReason("it contains a control character")) {
    try store.retire(names: ["a"], reason: "two\nlines", retention: 60, passphrase: t.passphrase)
  }
  #expect(fileBytes(store.path) == before)
}

@Test func retiringPurgesEntriesWhoseRetentionRanOut() throws {
  let (t, store, clock, _) = try threeKeys()
  defer { t.cleanup() }
  try store.retire(names: ["a"], reason: "old", retention: 100, passphrase: t.passphrase)
  clock.advance(101)
  let result = try store.retire(names: ["b"], reason: "new", retention: 100, passphrase: t.passphrase)
  #expect(result.purged.map(\.entry.name) == ["a"])
  #expect(try store.readPublic().retired.map(\.entry.name) == ["b"])
  // The purged key's secret left with it: the private half still matches the public half.
  #expect(try store.readFile().retired.count == 1)
  _ = try store.restore(name: "b", passphrase: t.passphrase)
  #expect(try store.unlockSealed(passphrase: t.passphrase).map(\.0.name).sorted() == ["b", "c"])
}

@Test func removeRetiresForThirtyDaysAndRestoreBringsTheKeyBack() throws {
  let (t, store, clock, entries) = try threeKeys()
  defer { t.cleanup() }
  #expect(try store.remove(name: "b", passphrase: t.passphrase) == entries[1])
  let retired = try #require(try store.readPublic().retired.first)
  #expect(retired.reason == "removed")
  #expect(retired.expiresAt - retired.retiredAt == VaultRetention.defaultSeconds)
  #expect(VaultRetention.defaultSeconds == 30 * 86400)
  clock.advance(10)
  let back = try store.restore(name: "b", passphrase: t.passphrase)
  #expect(back == entries[1])
  let opened = try store.unlockSealed(passphrase: t.passphrase)
  #expect(opened.map(\.0.name) == ["a", "c", "b"])
  #expect(opened.last.map { String(decoding: $0.1.unsafeCopy(), as: UTF8.self) } == "private-b")
  #expect(try store.readPublic().retired.isEmpty)
}

@Test func restoringOntoATakenNameNamesTheAsOption() throws {
  let (t, store, _, entries) = try threeKeys()
  defer { t.cleanup() }
  try store.retire(names: ["a"], reason: "x", retention: 60, passphrase: t.passphrase)
  try store.rename("b", to: "a", passphrase: t.passphrase)
  #expect(throws: VaultError.restoreNameTaken("a")) { try store.restore(name: "a", passphrase: t.passphrase) }
  #expect(VaultError.restoreNameTaken("a").description.contains("--as"))
  let back = try store.restore(name: "a", as: "a2", passphrase: t.passphrase)
  #expect(back.id == entries[0].id)
  #expect(back.name == "a2")
  #expect(throws: VaultError.noSuchRetiredKey("a")) { try store.restore(name: "a", passphrase: t.passphrase) }
}

@Test func theSameNameRetiredTwiceRestoresTheMostRecentOrTheOneWithThatID() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let clock = TestClock()
  let store = VaultStore(path: t.store.path, lockTimeout: 5, now: clock.now)
  let first = fakeEntry("k")
  let second = fakeEntry("k")
  _ = try store.addSealed([(first, fakeWire("1"))], passphrase: t.passphrase, force: false)
  try store.retire(names: ["k"], reason: "one", retention: 1000, passphrase: t.passphrase)
  clock.advance(5)
  _ = try store.addSealed([(second, fakeWire("2"))], passphrase: t.passphrase, force: false)
  try store.retire(names: ["k"], reason: "two", retention: 1000, passphrase: t.passphrase)
  #expect(try store.readPublic().retired(named: "k").map(\.entry.id) == [first.id, second.id])
  #expect(try store.restore(name: "k", passphrase: t.passphrase).id == second.id)
  #expect(try store.restore(name: first.id.description, as: "k1", passphrase: t.passphrase).id == first.id)
  let opened = try store.unlockSealed(passphrase: t.passphrase)
  #expect(opened.map { String(decoding: $0.1.unsafeCopy(), as: UTF8.self) } == ["private-2", "private-1"])
}

@Test func purgeDropsTheNamedOrTheExpiredRetiredKeys() throws {
  let (t, store, clock, _) = try threeKeys()
  defer { t.cleanup() }
  try store.retire(names: ["a"], reason: "x", retention: 10, passphrase: t.passphrase)
  try store.retire(names: ["b", "c"], reason: "x", retention: 1000, passphrase: t.passphrase)
  clock.advance(20)
  #expect(throws: VaultError.noSuchRetiredKey("zz")) {
    try store.purge(names: ["zz"], expiredOnly: false, passphrase: t.passphrase)
  }
  #expect(try store.purge(names: nil, expiredOnly: true, passphrase: t.passphrase).map(\.entry.name) == ["a"])
  #expect(try store.purge(names: ["b"], expiredOnly: true, passphrase: t.passphrase).isEmpty)
  #expect(try store.purge(names: ["b"], expiredOnly: false, passphrase: t.passphrase).map(\.entry.name) == ["b"])
  #expect(try store.purge(names: nil, expiredOnly: false, passphrase: t.passphrase).map(\.entry.name) == ["c"])
  #expect(try store.readPublic().retired.isEmpty)
  #expect(try store.unlockSealed(passphrase: t.passphrase).isEmpty)
}

@Test func aRetiredEntryChangedWithoutThePassphraseIsTampering() throws {
  let (t, store, _, _) = try threeKeys()
  defer { t.cleanup() }
  try store.retire(names: ["a"], reason: "x", retention: 10, passphrase: t.passphrase)
  var file = try store.readFile()
  file.retired[0].expiresAt = .max
  writeBytes(store.path, file.encode())
  #expect(try store.readPublic().retired[0].expiresAt == .max)
  #expect(throws: VaultError.tampered) { try store.readPublicVerified(passphrase: t.passphrase) }
  #expect(throws: VaultError.tampered) { try store.unlock(passphrase: t.passphrase) }
}

@Test func aForcedImportOverAnotherKeyRetiresTheOldKeyInsteadOfDestroyingIt() throws {
  let (t, store, _, entries) = try threeKeys()
  defer { t.cleanup() }
  let newer = fakeEntry("a")
  _ = try store.addSealed([(newer, fakeWire("new"))], passphrase: t.passphrase, force: true)
  let view = try store.readPublic()
  #expect(view.entry(named: "a")?.id == newer.id)
  #expect(view.retired.map(\.entry) == [entries[0]])
  #expect(view.retired.first?.reason == "replaced")
  // The same key forced in again is not retired: nothing would be lost.
  let same = fakeEntry("a2", blob: newer.publicKeyBlob)
  _ = try store.addSealed([(same, fakeWire("new"))], passphrase: t.passphrase, force: true)
  #expect(try store.readPublic().retired.count == 1)
  let back = try store.restore(name: "a", as: "a-old", passphrase: t.passphrase)
  #expect(back.id == entries[0].id)
  let opened = try store.unlockSealed(passphrase: t.passphrase)
  #expect(opened.last.map { String(decoding: $0.1.unsafeCopy(), as: UTF8.self) } == "private-a")
}
