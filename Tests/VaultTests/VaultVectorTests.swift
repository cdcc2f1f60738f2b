import KeyholdCrypto
import SSHKeys
import TestSupport
import Testing

@testable import Vault

/// The files scripts/make-vault-vectors.py wrote from keyhold-vault(5) alone, with fixed randomness.
private let vectors = [
  "good", "wrong-passphrase", "memlimit-huge", "opslimit-zero", "kdf-unknown", "checksum", "truncated", "renamed",
  "not-a-vault",
]

/// What opening a vector gave, in the words of its .expect file.
private func outcome(of store: VaultStore, passphrase: SecureBytes) -> String {
  do {
    _ = try store.unlock(passphrase: passphrase)
    return "unlocks"
  } catch {
    switch error {
    case .wrongPassphrase: return "incorrect passphrase"
    case .alteredHeader: return "altered header"
    case .corrupted("checksum mismatch"): return "checksum"
    case .truncated: return "truncated"
    case .tampered: return "altered"
    case .notAVault: return "not a vault"
    default: return "\(error)"
    }
  }
}

@Test(arguments: vectors)
func anIndependentlyWrittenVaultOpensAsItsExpectFileSays(name: String) throws {
  let expect = expectLines(vaultTestdata("v2/\(name).vault.expect"))
  let passphrase = secret(try #require(expect.first { $0.0 == "passphrase" }?.1))
  let (dir, store) = copiedVault("v2/\(name).vault")
  defer { TemporaryTree.remove(dir) }
  #expect(outcome(of: store, passphrase: passphrase) == expect.first { $0.0 == "expect" }?.1)
}

@Test func theKnownAnswerVaultHoldsExactlyWhatItsExpectFileLists() throws {
  let expect = expectLines(vaultTestdata("v2/good.vault.expect"))
  let (dir, store) = copiedVault("v2/good.vault")
  defer { TemporaryTree.remove(dir) }
  let bytes = try #require(fileBytes(store.path))
  let file = try VaultFile.decode(bytes)
  #expect(file.encode() == bytes)
  #expect(file.version == 2)
  let keys = try store.unlock(passphrase: secret("known answer"))
  let listed = expect.filter { $0.0 == "key" }.map { $0.1.split(separator: " ").map(String.init) }
  #expect(keys.map(\.entry.name) == listed.map { $0[0] })
  for (key, line) in zip(keys, listed) {
    #expect(key.entry.fingerprint(line[1]) == line[2])
    #expect(key.entry.fingerprint(line[3]) == line[4])
    // The script's fingerprints are those keyhold computes from the unlocked key.
    #expect(VaultStore.fingerprints(of: key.privateKey) == key.entry.fingerprints)
    #expect(key.entry.publicKeyBlob == key.privateKey.publicKey.blob)
  }
  let retired = try #require(expect.first { $0.0 == "retired" }?.1.split(separator: " ").map(String.init))
  #expect(file.retired.map(\.entry.name) == [retired[0]])
  #expect(file.retired[0].entry.fingerprint(retired[1]) == retired[2])
  #expect(file.retired[0].reason == "orphaned")
  let web = try #require(file.entry(named: "web"))
  #expect(web.bindings[0].flags == [.createdByCloud, .accountFromCloud])
  let resolved = try #require(file.status.record(for: web.bindings[1], of: web.id))
  #expect(resolved.resolves == web.bindings[1].key)
  #expect(resolved.region == "eucalyptus")
  #expect(file.status.record(for: web.bindings[0], of: web.id)?.state == .inSync)
  // The retired key comes back whole.
  _ = try store.restore(name: "old", passphrase: secret("known answer"))
  #expect(try store.unlockKey(named: "old", passphrase: secret("known answer")).entry.name == "old")
}
