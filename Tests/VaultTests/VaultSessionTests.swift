import SSHKeys
import Testing

@testable import Vault

#if canImport(Glibc)
  import Glibc
#endif

@Test func aSessionOpensWithThePassphraseAndReturnsTheKeys() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let key = try PrivateKey.generate(.ed25519)
  try t.store.add([VaultNewKey(name: "a", privateKey: key)], passphrase: t.passphrase)
  let (_, keys) = try t.store.open(passphrase: t.passphrase)
  #expect(keys.map(\.entry.name) == ["a"])
  #expect(keys.first?.privateKey.publicKey == key.publicKey)
}

@Test func aSessionRefusesAWrongPassphrase() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  #expect(throws: VaultError.wrongPassphrase) { try t.store.open(passphrase: secret("wrong")) }
}

@Test func reloadSeesKeysAddedRemovedAndRenamedWithoutThePassphrase() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  try t.store.add(
    [
      VaultNewKey(name: "a", privateKey: try PrivateKey.generate(.ed25519)),
      VaultNewKey(name: "b", privateKey: try PrivateKey.generate(.ed25519)),
    ], passphrase: t.passphrase)
  let (session, _) = try t.store.open(passphrase: t.passphrase)
  let added = try PrivateKey.generate(.ecdsaP256)
  try t.store.add([VaultNewKey(name: "c", privateKey: added)], passphrase: t.passphrase)
  _ = try t.store.remove(name: "a", passphrase: t.passphrase)
  try t.store.rename("b", to: "renamed", passphrase: t.passphrase)
  let keys = try session.reload()
  #expect(keys.map(\.entry.name) == ["renamed", "c"])
  #expect(keys.last?.privateKey.publicKey == added.publicKey)
  #expect(try keys.last?.privateKey.sign(Array("data".utf8)).isEmpty == false)
  #expect(keys.first?.privateKey.comment == "b")  // the comment stays what it was at import
}

@Test func reloadLeavesOutRetiredKeys() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  try t.store.add(
    [
      VaultNewKey(name: "a", privateKey: try PrivateKey.generate(.ed25519)),
      VaultNewKey(name: "b", privateKey: try PrivateKey.generate(.ed25519)),
    ], passphrase: t.passphrase)
  let (session, _) = try t.store.open(passphrase: t.passphrase)
  try t.store.retire(names: ["a"], reason: "pruned", retention: 86_400, passphrase: t.passphrase)
  #expect(try session.reload().map(\.entry.name) == ["b"])
}

@Test func aSessionSurvivesAPassphraseChange() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let (session, _) = try t.store.open(passphrase: t.passphrase)
  try t.store.changePassphrase(from: t.passphrase, to: secret("new one"), kdf: .minimum)
  try t.store.add(
    [VaultNewKey(name: "n", privateKey: try PrivateKey.generate(.ed25519))], passphrase: secret("new one"))
  #expect(try session.reload().map(\.entry.name) == ["n"])
}

@Test func aVaultMadeAnewAtThePathFailsTheSessionCleanly() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let (session, _) = try t.store.open(passphrase: t.passphrase)
  unlink(t.store.path)
  try t.store.create(passphrase: t.passphrase, kdf: .minimum)
  #expect(throws: VaultError.dataKeyChanged(t.store.path)) { try session.reload() }
}

@Test func reloadOfAMissingVaultSaysSo() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let (session, _) = try t.store.open(passphrase: t.passphrase)
  unlink(t.store.path)
  #expect(throws: VaultError.notFound(t.store.path)) { try session.reload() }
}
