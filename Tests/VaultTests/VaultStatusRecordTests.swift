import KeyholdCrypto
import SSHKeys
import Testing

@testable import Vault

@Test func everySyncStateHasAStableCodeAndName() {
  #expect(VaultSyncState.allCases.map(\.rawValue) == Array(1...8))
  #expect(
    VaultSyncState.allCases.map(\.name) == [
      "in-sync", "id-changed", "replaced", "orphaned", "moved", "pending", "unverifiable", "error",
    ])
  for s in VaultSyncState.allCases { #expect(VaultSyncState(name: s.name) == s) }
  #expect(VaultSyncState(name: "cloud-only") == nil)
}

/// A file with one key bound twice (one binding with unknown region and account) and a status record of each kind.
private func fileWithRecords() throws -> (VaultFile, VaultEntry) {
  var (file, dataKey) = try VaultFile.create(passphrase: secret("pw"), kdf: .minimum)
  let known = VaultBinding(
    cloud: "https://ec2.example", account: "123456789012", region: "r1", keyName: "k", flags: [.accountFromCloud])
  let vague = VaultBinding(cloud: "euca", region: "", keyName: "k")
  let e = fakeEntry("a", bindings: [known, vague])
  file.entries = [e]
  file.status.set(contentsOf: [
    VaultStatusRecord(
      entryID: e.id, cloud: known.cloud, account: known.account, region: "r1", keyName: "k", checkedAt: 5,
      state: .inSync, instancesInUse: 3, lastListedAt: 4, observedFingerprint: "aa:bb"),
    VaultStatusRecord(
      entryID: e.id, cloud: "https://euca.example:8773/", account: "000000000001", region: "eucalyptus",
      keyName: "k", checkedAt: 5, state: .orphaned, flags: .orphaned, resolves: vague.key),
    VaultStatusRecord(
      entryID: e.id, cloud: known.cloud, account: known.account, region: "r2", keyName: "copy", checkedAt: 5,
      state: .moved, flags: .learned, lastListedAt: 5, observedFingerprint: "aa:bb"),
  ])
  try file.seal([VaultSecret(id: e.id, keyWire: fakeWire("a"))], dataKey: dataKey)
  return (file, e)
}

@Test func statusRecordsKeepEveryFieldThroughTheFile() throws {
  let (file, e) = try fileWithRecords()
  let bytes = file.encode()
  let decoded = try VaultFile.decode(bytes)
  #expect(decoded.encode() == bytes)
  #expect(decoded.status == file.status)
  #expect(decoded.entries[0].bindings[0].flags.contains(.accountFromCloud))
  let resolved = try #require(decoded.status.record(for: e.bindings[1], of: e.id))
  #expect(resolved.region == "eucalyptus")
  #expect(resolved.resolves == e.bindings[1].key)
  #expect(decoded.status.record(for: e.bindings[0], of: e.id)?.instancesInUse == 3)
  #expect(decoded.status.learnedRecords(of: e.id).map(\.keyName) == ["copy"])
  #expect(decoded.status.records(of: e.id).count == 3)
}

@Test func anUnknownStateCodeIsMalformed() throws {
  let (file, _) = try fileWithRecords()
  var bytes = file.encode()
  // The state byte of the first record follows its id, four place strings and the check time.
  let r = file.status.records[0]
  let section: Int = try #require(indexOf(VaultFile.encodeStatus(file.status), in: bytes))
  let place: Int = [r.cloud, r.account, r.region, r.keyName].reduce(0) { $0 + 4 + $1.utf8.count }
  let offset = section + 4 + (4 + 16) + place + 8
  #expect(bytes[offset] == VaultSyncState.inSync.rawValue)
  bytes[offset] = 9
  bytes.removeLast(32)
  bytes += Sodium.hash(bytes)
  #expect(throws: VaultError.malformed("status section: unknown state 9")) { try VaultFile.decode(bytes) }
}

/// Where `needle` starts in `haystack`.
private func indexOf(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
  guard needle.count <= haystack.count else { return nil }
  return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

@Test func replacingTheRecordsOfAScopeLeavesOtherScopesAlone() throws {
  let (file, e) = try fileWithRecords()
  var status = file.status
  let scope = VaultStatusScope(cloud: "https://ec2.example", account: "123456789012", region: "r1")
  let fresh = VaultStatusRecord(
    entryID: e.id, cloud: scope.cloud, account: scope.account, region: "r1", keyName: "k", checkedAt: 9,
    state: .replaced)
  status.replaceRecords(in: [scope], with: [fresh])
  #expect(status.records.count == 3)
  #expect(status.record(for: e.bindings[0], of: e.id)?.state == .replaced)
  #expect(status.learnedRecords(of: e.id).count == 1)
  status.replaceRecords(in: [VaultStatusScope(cloud: scope.cloud, account: scope.account, region: "r2")], with: [])
  #expect(status.learnedRecords(of: e.id).isEmpty)
  #expect(status.records.count == 2)
}

@Test func learnedAndResolvingRecordsSurviveWritesWhileTheirEntryLives() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let (file, e) = try fileWithRecords()
  _ = try t.store.addSealed([(e, fakeWire("a"))], passphrase: t.passphrase, force: false)
  try t.store.updateStatus { status, _ in status.set(contentsOf: file.status.records) }
  #expect(try t.store.readPublic().status == file.status)
  try t.store.rename("a", to: "b", passphrase: t.passphrase)
  #expect(try t.store.readPublic().status == file.status)
  try t.store.setBindings([e.bindings[0]], of: "b", passphrase: t.passphrase)
  #expect(try t.store.readPublic().status.records.map(\.state) == [.inSync, .moved])
  try t.store.retire(names: ["b"], reason: "x", retention: 1, passphrase: t.passphrase)
  #expect(try t.store.readPublic().status.records.isEmpty)
}

@Test func theOldStringInitializerMapsNamesToStates() throws {
  let id = try #require(VaultEntryID(bytes: Array(repeating: 1, count: 16)))
  let r = VaultStatusRecord(entryID: id, cloud: "c", region: "r", keyName: "k", checkedAt: 1, state: "pending")
  #expect(r.state == .pending)
  #expect(r.stateName == "pending")
  let odd = VaultStatusRecord(entryID: id, cloud: "c", region: "r", keyName: "k", checkedAt: 1, state: "weird")
  #expect(odd.state == .error)
  #expect(odd.detail == "weird")
}
