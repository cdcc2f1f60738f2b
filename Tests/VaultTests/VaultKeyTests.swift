import SSHKeys
import Testing

@testable import Vault

private let keyTypes: [(KeyAlgorithm, Int?)] = [
  (.ed25519, nil), (.ecdsaP256, 256), (.ecdsaP384, 384), (.ecdsaP521, 521), (.rsa, 2048),
]

@Test(arguments: keyTypes.indices)
func everyKeyTypeRoundTripsThroughTheVault(index: Int) throws {
  let (algorithm, bits) = keyTypes[index]
  let t = try TestVault()
  defer { t.cleanup() }
  let key = try PrivateKey.generate(algorithm, bits: bits, comment: "original")
  let added = try t.store.add([VaultNewKey(name: "k", privateKey: key)], passphrase: t.passphrase)
  #expect(added.first?.algorithm == algorithm.rawValue)
  #expect(added.first?.comment == "original")
  #expect(added.first?.createdAt == 1_700_000_000)
  let unlocked = try t.store.unlock(passphrase: t.passphrase)
  #expect(unlocked.count == 1)
  let back = try #require(unlocked.first)
  #expect(back.entry == added.first)
  #expect(back.privateKey.publicKey == key.publicKey)
  #expect(back.privateKey.comment == "original")
  #expect(back.privateKey.encodeWire().unsafeCopy() == key.encodeWire().unsafeCopy())
  let signature = try back.privateKey.sign(Array("data".utf8))
  #expect(!signature.isEmpty)
  #expect(try t.store.unlockKey(named: "k", passphrase: t.passphrase).privateKey.publicKey == key.publicKey)
}

@Test func everyCloudFingerprintTheKeyAllowsIsStored() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let rsa = try PrivateKey.generate(.rsa, bits: 2048)
  let ed = try PrivateKey.generate(.ed25519)
  try t.store.add(
    [VaultNewKey(name: "rsa", privateKey: rsa), VaultNewKey(name: "ed", privateKey: ed)], passphrase: t.passphrase)
  let view = try t.store.readPublic()
  let rsaEntry = try #require(view.entry(named: "rsa"))
  for (kind, value) in rsa.cloudFingerprints() {
    #expect(rsaEntry.fingerprint(kind.rawValue) == value)
  }
  #expect(rsaEntry.fingerprint("sha1-pkcs8") != nil)
  #expect(rsaEntry.fingerprint("md5-spki") != nil)
  let edEntry = try #require(view.entry(named: "ed"))
  #expect(edEntry.fingerprint("sha256-b64") == ed.cloudFingerprints()[.sha256B64])
  // The public half lists the keys without the passphrase.
  #expect(view.entry(publicKeyBlob: ed.publicKey.blob)?.name == "ed")
}

@Test func theCommentDefaultsToTheName() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  try t.store.add([VaultNewKey(name: "named", privateKey: try PrivateKey.generate(.ed25519))], passphrase: t.passphrase)
  #expect(try t.store.unlock(passphrase: t.passphrase).first?.privateKey.comment == "named")
}
