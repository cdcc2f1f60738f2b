import SSHKeys
import TestSupport
import Testing

@testable import Vault

/// A vault written by keyhold 0.1.0 (format version 1) opens, unlocks every key and becomes version 2 at the next
/// write with the passphrase; the keys, bindings and fingerprints survive the upgrade.
@Test func aVersion1VaultUnlocksAndIsWrittenBackAsVersion2() throws {
  let expect = expectLines(vaultTestdata("v1/three-keys.vault.expect"))
  let passphrase = secret(try #require(expect.first { $0.0 == "passphrase" }?.1))
  let keys = expect.filter { $0.0 == "key" }.map { $0.1.split(separator: " ").map(String.init) }
  let (dir, store) = copiedVault("v1/three-keys.vault")
  defer { TemporaryTree.remove(dir) }

  #expect(try store.readFile().version == 1)
  let unlocked = try store.unlock(passphrase: passphrase)
  #expect(unlocked.map(\.entry.name).sorted() == keys.map { $0[0] }.sorted())
  for k in keys {
    let key = try #require(unlocked.first { $0.entry.name == k[0] })
    #expect(key.entry.algorithm == k[1])
    #expect(key.entry.fingerprint(k[2]) == k[3])
    // The stored fingerprints are those of the private key that unlocked.
    #expect(VaultStore.fingerprints(of: key.privateKey) == key.entry.fingerprints)
    let signature = try key.privateKey.sign([7])
    #expect(key.privateKey.publicKey.verify(signature: signature, data: [7]))
  }
  let binding = try #require(expect.first { $0.0 == "binding" }?.1.split(separator: " ").map(String.init))
  let bound = try #require(unlocked.first { $0.entry.name == binding[0] }?.entry.bindings.first)
  #expect([bound.cloud, bound.region, bound.keyName] == Array(binding[1...]))
  #expect(!bound.flags.contains(.accountFromCloud))

  // A status-only write cannot re-seal: the file stays version 1.
  try store.updateStatus { status, view in
    let e = view.entry(named: binding[0])!
    status.set(
      VaultStatusRecord(
        entryID: e.id, cloud: bound.cloud, region: bound.region, keyName: bound.keyName, checkedAt: 5,
        state: .inSync))
  }
  #expect(try store.readFile().version == 1)
  #expect(try store.readPublic().status.records.map(\.state) == [.inSync])

  try store.rename("rsa2048", to: "rsa", passphrase: passphrase)
  let after = try store.readFile()
  #expect(after.version == 2)
  #expect(fileBytes(store.path)?[8..<12].elementsEqual([0, 0, 0, 2]) == true)
  let again = try store.unlock(passphrase: passphrase)
  #expect(again.map(\.entry.name).sorted() == ["ecdsa256", "ed25519", "rsa"])
  #expect(again.map(\.entry.id) == unlocked.map(\.entry.id))
  #expect(after.status.records.map(\.state) == [.inSync])
}

/// `passwd` on a version 1 vault upgrades it too (the data key's seal names the version).
@Test func changingThePassphraseOfAVersion1VaultUpgradesIt() throws {
  let (dir, store) = copiedVault("v1/three-keys.vault")
  defer { TemporaryTree.remove(dir) }
  try store.changePassphrase(from: secret("v1 known answer"), to: secret("new"), kdf: .minimum)
  #expect(try store.readFile().version == 2)
  #expect(try store.unlock(passphrase: secret("new")).count == 3)
}

/// Version 1 bindings never carry the account-from-cloud flag: a file that has it is refused, not reinterpreted.
@Test func aVersion1BindingWithTheAccountFromCloudFlagIsMalformed() throws {
  var file = try VaultFile.decode(try #require(fileBytes(vaultTestdata("v1/three-keys.vault"))))
  let i = try #require(file.entries.firstIndex { !$0.bindings.isEmpty })
  file.entries[i].bindings[0].flags.insert(.accountFromCloud)
  #expect(throws: VaultError.malformed("a version 1 binding carries the account-from-cloud flag")) {
    try VaultFile.decode(file.encode())
  }
  file.version = 2
  #expect(try VaultFile.decode(file.encode()).entries[i].bindings[0].flags.contains(.accountFromCloud))
}
