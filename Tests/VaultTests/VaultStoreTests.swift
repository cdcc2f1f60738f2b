import SSHKeys
import Testing

@testable import Vault

#if canImport(Glibc)
  import Glibc
#endif

@Test func keysAddedUnlockWithTheirPrivateBlobs() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let a = fakeEntry("a")
  let b = fakeEntry("b")
  _ = try t.store.addSealed([(a, fakeWire("a")), (b, fakeWire("b"))], passphrase: t.passphrase, force: false)
  let opened = try t.store.unlockSealed(passphrase: t.passphrase)
  #expect(opened.map(\.0) == [a, b])
  #expect(opened.map { String(decoding: $0.1.unsafeCopy(), as: UTF8.self) } == ["private-a", "private-b"])
}

@Test func thePublicHalfListsWithoutThePassphrase() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let a = fakeEntry("a", bindings: [VaultBinding(cloud: "euca", region: "r1", keyName: "k", cloudFingerprint: "f")])
  _ = try t.store.addSealed([(a, fakeWire("a"))], passphrase: t.passphrase, force: false)
  let view = try VaultStore(path: t.store.path).readPublic()
  #expect(view.entries == [a])
  #expect(view.kdf == .minimum)
}

@Test func aWrongPassphraseFailsAndWritesNothing() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let before = fileBytes(t.store.path)
  #expect(throws: VaultError.wrongPassphrase) { try t.store.unlockSealed(passphrase: secret("wrong")) }
  #expect(throws: VaultError.wrongPassphrase) {
    try t.store.addSealed([(fakeEntry("a"), fakeWire("a"))], passphrase: secret("wrong"), force: false)
  }
  #expect(fileBytes(t.store.path) == before)
}

@Test func duplicatesByNameOrKeyAreRefusedUnlessForced() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let binding = VaultBinding(cloud: "c", region: "r", keyName: "a")
  let a = fakeEntry("a", bindings: [binding])
  _ = try t.store.addSealed([(a, fakeWire("a"))], passphrase: t.passphrase, force: false)
  #expect(throws: VaultError.duplicateName("a")) {
    try t.store.addSealed([(fakeEntry("a"), fakeWire("x"))], passphrase: t.passphrase, force: false)
  }
  let sameKey = fakeEntry("other", blob: a.publicKeyBlob)
  #expect(throws: VaultError.duplicateKey(existingName: "a")) {
    try t.store.addSealed([(sameKey, fakeWire("x"))], passphrase: t.passphrase, force: false)
  }
  _ = try t.store.addSealed([(sameKey, fakeWire("x"))], passphrase: t.passphrase, force: true)
  let view = try t.store.readPublic()
  #expect(view.entries.map(\.name) == ["other"])
  #expect(view.entries.first?.bindings == [binding])
}

@Test func removeAndRenameKeepTheRestIntact() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let a = fakeEntry("a")
  let b = fakeEntry("b")
  _ = try t.store.addSealed([(a, fakeWire("a")), (b, fakeWire("b"))], passphrase: t.passphrase, force: false)
  try t.store.rename("b", to: "c", passphrase: t.passphrase)
  #expect(throws: VaultError.duplicateName("c")) { try t.store.rename("a", to: "c", passphrase: t.passphrase) }
  #expect(try t.store.remove(name: "a", passphrase: t.passphrase).id == a.id)
  #expect(throws: VaultError.noSuchKey("a")) { try t.store.remove(name: "a", passphrase: t.passphrase) }
  let opened = try t.store.unlockSealed(passphrase: t.passphrase)
  #expect(opened.map(\.0.name) == ["c"])
  #expect(opened.first?.0.id == b.id)
  #expect(opened.first.map { String(decoding: $0.1.unsafeCopy(), as: UTF8.self) } == "private-b")
}

@Test func statusUpdatesNeedNoPassphraseAndKeepTheSealValid() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let binding = VaultBinding(cloud: "c", region: "r", keyName: "k")
  let a = fakeEntry("a", bindings: [binding])
  _ = try t.store.addSealed([(a, fakeWire("a"))], passphrase: t.passphrase, force: false)
  #expect(try t.store.readPublic().status.records.isEmpty)
  try t.store.updateStatus { status, view in
    #expect(view.entries.map(\.id) == [a.id])
    status.set(
      VaultStatusRecord(
        entryID: a.id, cloud: "c", region: "r", keyName: "k", checkedAt: 9, state: "orphaned", flags: .orphaned))
    // A record for a binding that does not exist is dropped.
    status.set(VaultStatusRecord(entryID: a.id, cloud: "c", region: "other", keyName: "k", checkedAt: 9, state: "x"))
  }
  let view = try t.store.readPublic()
  #expect(view.status.records.map(\.stateName) == ["orphaned"])
  #expect(view.status.record(for: binding, of: a.id)?.flags.contains(.orphaned) == true)
  #expect(try t.store.unlockSealed(passphrase: t.passphrase).count == 1)
}

@Test func aThrowingStatusUpdateWritesNothing() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  struct Stop: Error {}
  let before = fileBytes(t.store.path)
  #expect(throws: Stop.self) {
    try t.store.updateStatus { status, _ in
      status.removeAll()
      throw Stop()
    }
  }
  #expect(fileBytes(t.store.path) == before)
}

@Test func passwdRewrapsOnlyTheDataKey() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  _ = try t.store.addSealed([(fakeEntry("a"), fakeWire("a"))], passphrase: t.passphrase, force: false)
  let before = try t.store.readFile()
  try t.store.changePassphrase(from: t.passphrase, to: secret("new one"), kdf: .minimum)
  let after = try t.store.readFile()
  #expect(after.sealedPrivate == before.sealedPrivate)
  #expect(after.sealedNonce == before.sealedNonce)
  #expect(after.kdf.salt != before.kdf.salt)
  #expect(throws: VaultError.wrongPassphrase) { try t.store.unlockSealed(passphrase: t.passphrase) }
  #expect(try t.store.unlockSealed(passphrase: secret("new one")).count == 1)
}

@Test func aChangedPublicHalfWithARecomputedChecksumIsTampering() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  _ = try t.store.addSealed([(fakeEntry("a"), fakeWire("a"))], passphrase: t.passphrase, force: false)
  var file = try t.store.readFile()
  file.entries[0].name = "evil"
  writeBytes(t.store.path, file.encode())
  #expect(try t.store.readPublic().entries.first?.name == "evil")
  #expect(throws: VaultError.tampered) { try t.store.unlockSealed(passphrase: t.passphrase) }
}

@Test func aDamagedVaultIsNeverOverwritten() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  var bytes = try #require(fileBytes(t.store.path))
  bytes[bytes.count / 2] ^= 0x10
  writeBytes(t.store.path, bytes)
  #expect(throws: VaultError.self) {
    try t.store.addSealed([(fakeEntry("a"), fakeWire("a"))], passphrase: t.passphrase, force: false)
  }
  #expect(throws: VaultError.self) { try t.store.updateStatus { s, _ in s.removeAll() } }
  #expect(throws: VaultError.self) { try t.store.changePassphrase(from: t.passphrase, to: secret("x")) }
  #expect(fileBytes(t.store.path) == bytes)
}

@Test func filesArePrivateAndCreateRefusesToOverwrite() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  var st = stat()
  #expect(stat(t.store.path, &st) == 0)
  #expect(st.st_mode & 0o777 == 0o600)
  #expect(stat(t.dir + "/sub", &st) == 0)
  #expect(st.st_mode & 0o777 == 0o700)
  #expect(throws: VaultError.alreadyExists(t.store.path)) {
    try t.store.create(passphrase: t.passphrase, kdf: .minimum)
  }
}

@Test func aMissingVaultIsNotFound() throws {
  let t = try TestVault(create: false)
  defer { t.cleanup() }
  #expect(throws: VaultError.notFound(t.store.path)) { try t.store.readPublic() }
  #expect(throws: VaultError.notFound(t.store.path)) { try t.store.updateStatus { _, _ in } }
}

@Test func aHeldLockMakesWritersBusy() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let fd = open(t.store.lockPath, O_RDWR)
  #expect(flock(fd, LOCK_EX) == 0)
  defer { close(fd) }
  var impatient = t.store
  impatient.lockTimeout = 0
  #expect(throws: VaultError.busy(t.store.lockPath)) { try impatient.updateStatus { _, _ in } }
  // Readers do not take the lock.
  #expect(try impatient.readPublic().entries.isEmpty)
}

@Test func staleTempFilesFromAKilledWriterAreRemoved() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let stale = t.dir + "/sub/.vault.tmp-deadbeef"
  writeBytes(stale, [1, 2, 3])
  try t.store.updateStatus { _, _ in }
  #expect(access(stale, F_OK) != 0)
}

@Test func concurrentWritersAllLand() async throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let store = t.store
  let pass = t.passphrase
  try await withThrowingTaskGroup(of: Void.self) { group in
    for i in 0..<8 {
      group.addTask {
        _ = try store.addSealed([(fakeEntry("k\(i)"), fakeWire("\(i)"))], passphrase: pass, force: false)
      }
    }
    try await group.waitForAll()
  }
  let names = try t.store.unlockSealed(passphrase: t.passphrase).map(\.0.name)
  #expect(Set(names) == Set((0..<8).map { "k\($0)" }))
}
