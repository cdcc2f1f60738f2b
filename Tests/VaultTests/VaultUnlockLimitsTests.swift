import KeyholdCrypto
import SSHKeys
import Testing

@testable import Vault

/// A vault whose KDF block asks for `parameters`, with a valid checksum (as a hostile program would write it).
private func vaultAsking(_ parameters: Sodium.KDFParameters, in t: TestVault) throws -> [UInt8] {
  var file = try t.store.readFile()
  file.kdf.parameters = parameters
  return file.encode()
}

/// The KDF limits are read before anything authenticates them: a file asking for limits keyhold never writes is
/// refused before Argon2id runs, as an altered header (never as an incorrect passphrase).
@Test(
  arguments: [
    Sodium.KDFParameters(opsLimit: 4, memLimit: 1 << 40),  // a terabyte
    Sodium.KDFParameters(opsLimit: 4, memLimit: (1 << 30) + 1024),
    Sodium.KDFParameters(opsLimit: 5, memLimit: 1 << 20),
    Sodium.KDFParameters(opsLimit: .max, memLimit: .max),
    Sodium.KDFParameters(opsLimit: 0, memLimit: 1 << 20),
    Sodium.KDFParameters(opsLimit: 1, memLimit: 4096),
  ])
func kdfLimitsOutsideTheBoundsAreRefusedBeforeArgon2idRuns(parameters: Sodium.KDFParameters) throws {
  let t = try TestVault()
  defer { t.cleanup() }
  writeBytes(t.store.path, try vaultAsking(parameters, in: t))
  var expected: VaultError?
  do { try VaultKDF.validate(parameters) } catch { expected = error }
  let error = try #require(expected)
  guard case .alteredHeader(let detail) = error else { throw error }
  #expect(detail.contains("limit"))
  #expect(throws: error) { try t.store.readPublic() }
  #expect(throws: error) { try t.store.unlock(passphrase: t.passphrase) }
  #expect(error.description.hasPrefix("the vault header was altered: "))
}

@Test func theLargestAcceptedLimitsCoverEveryProfile() throws {
  for profile in VaultKDFProfile.allCases {
    #expect(VaultKDF.opsLimitRange.contains(profile.parameters.opsLimit))
    #expect(VaultKDF.memLimitRange.contains(profile.parameters.memLimit))
  }
  #expect(VaultKDF.memLimitRange.upperBound == VaultKDFProfile.sensitive.parameters.memLimit)
  #expect(VaultKDF.opsLimitRange.upperBound == VaultKDFProfile.sensitive.parameters.opsLimit)
  #expect(VaultKDF.memLimitRange.lowerBound == VaultKDFProfile.minimum.parameters.memLimit)
}

/// keyhold never writes a vault it would refuse to read.
@Test func creatingOrRewrappingWithLimitsOutsideTheBoundsFails() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let huge = Sodium.KDFParameters(opsLimit: 100, memLimit: 1 << 20)
  let fresh = try TestVault(create: false)
  defer { fresh.cleanup() }
  #expect(throws: VaultError.alteredHeader("opslimit 100 exceeds the largest keyhold writes (4)")) {
    try fresh.store.create(passphrase: fresh.passphrase, kdf: huge)
  }
  #expect(!fresh.store.exists)
  #expect(throws: VaultError.alteredHeader("opslimit 100 exceeds the largest keyhold writes (4)")) {
    try t.store.changePassphrase(from: t.passphrase, to: secret("new"), kdf: huge)
  }
  _ = try t.store.unlock(passphrase: t.passphrase)
}

/// The unlock builds keys on the stored-key path and on several threads: every key comes back exactly as added,
/// in vault order, for every type.
@Test func unlockGivesBackEveryKeyAsAddedInOrder() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  var keys: [VaultNewKey] = []
  for i in 0..<48 {
    let algorithm = KeyAlgorithm.allCases[i % KeyAlgorithm.allCases.count]
    let key = try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil)
    keys.append(VaultNewKey(name: "key-\(i)", privateKey: key))
  }
  try t.store.add(keys, passphrase: t.passphrase)
  let unlocked = try t.store.unlock(passphrase: t.passphrase)
  #expect(unlocked.map(\.entry.name) == keys.map(\.name))
  for (k, u) in zip(keys, unlocked) {
    #expect(u.privateKey.encodeWire().unsafeCopy() == k.privateKey.encodeWire().unsafeCopy())
    #expect(u.privateKey.comment == u.entry.comment)
    let signature = try u.privateKey.sign([1, 2, 3])
    #expect(k.privateKey.publicKey.verify(signature: signature, data: [1, 2, 3]))
  }
  let one = try t.store.unlockKey(named: "key-7", passphrase: t.passphrase)
  #expect(one.privateKey.encodeWire().unsafeCopy() == keys[7].privateKey.encodeWire().unsafeCopy())
}

/// Running out of guarded memory anywhere in an unlock (derived key, data key, private half, the keys) is an
/// error, never a crash.
@Test func unlockOutOfSecureMemoryIsATypedError() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  var keys: [VaultNewKey] = []
  for i in 0..<40 {
    let algorithm: KeyAlgorithm = i % 10 == 9 ? .rsa : (i % 10 >= 7 ? .ecdsaP256 : .ed25519)
    keys.append(
      VaultNewKey(name: "k\(i)", privateKey: try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil)))
  }
  try t.store.add(keys, passphrase: t.passphrase)
  var failures = 0
  for limit in [0, 31, 32, 64, 100, 1_000, 5_000, 10_000, 1 << 20] {
    do {
      let unlocked = try SecureBytes.withSimulatedLimit(bytes: limit) { try t.store.unlock(passphrase: t.passphrase) }
      #expect(unlocked.count == keys.count)
    } catch let error as VaultError {
      #expect(error == .outOfSecureMemory)
      failures += 1
    }
  }
  #expect(failures >= 5)
  #expect(VaultError.outOfSecureMemory.description == "out of secure memory for the vault's keys")
}
