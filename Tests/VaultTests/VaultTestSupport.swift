import KeyholdCrypto
import SSHKeys
import TestSupport
import Testing

@testable import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// A passphrase in guarded memory.
func secret(_ s: String) -> SecureBytes { SecureBytes(copying: Array(s.utf8)) }

/// Reads a file's bytes (nil when missing).
func fileBytes(_ path: String) -> [UInt8]? { try? VaultIO.read(path, limit: 1 << 30) }

/// Writes bytes to a file, replacing it.
func writeBytes(_ path: String, _ bytes: [UInt8]) {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  precondition(fd >= 0)
  _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  close(fd)
}

/// A store on a fresh temp folder, with a fixed clock and the minimum KDF. Writers wait up to a minute for the lock:
/// concurrent-writer tests queue behind each other's fsyncs, which a busy disk makes slow.
struct TestVault {
  let dir: String
  let store: VaultStore
  let passphrase = secret("correct horse")

  init(create: Bool = true) throws {
    dir = TemporaryTree.make("keyhold-vault-test")
    store = VaultStore(path: dir + "/sub/vault", lockTimeout: 60, now: { 1_700_000_000 })
    if create { try store.create(passphrase: passphrase, kdf: .minimum) }
  }

  func cleanup() { TemporaryTree.remove(dir) }
}

/// An entry with a fake public blob and made-up fingerprints and bindings, for tests on opaque blobs.
func fakeEntry(_ name: String, blob: [UInt8]? = nil, bindings: [VaultBinding] = []) -> VaultEntry {
  VaultEntry(
    id: VaultEntryID(bytes: Sodium.randomBytes(16))!, name: name, algorithm: "ssh-ed25519",
    publicKeyBlob: blob ?? Sodium.randomBytes(51), comment: "comment of \(name)", createdAt: 1_700_000_000,
    fingerprints: [
      VaultFingerprint(kind: "md5-ssh", value: "aa:bb"), VaultFingerprint(kind: "sha256-b64", value: "x="),
    ],
    bindings: bindings)
}

/// A fake private wire blob.
func fakeWire(_ tag: String) -> SecureBytes { SecureBytes(copying: Array("private-\(tag)".utf8)) }

/// A file under testdata/vault in the repository.
func vaultTestdata(_ relative: String) -> String {
  var dir = String(#filePath)
  while let slash = dir.lastIndex(of: "/") {
    dir = String(dir[..<slash])
    if access(dir + "/Package.swift", F_OK) == 0 { break }
  }
  return dir + "/testdata/vault/" + relative
}

/// The `field: value` lines of an .expect file, comments left out, in order.
func expectLines(_ path: String) -> [(String, String)] {
  let text = String(decoding: fileBytes(path) ?? [], as: UTF8.self)
  return text.split(separator: "\n").compactMap { line in
    guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { return nil }
    return (String(line[..<colon]), String(line[line.index(colon, offsetBy: 2)...]))
  }
}

/// A copy of a testdata vault in a fresh private folder, as a store with a fixed clock.
func copiedVault(_ relative: String, now: Int64 = 1_700_000_000) -> (dir: String, store: VaultStore) {
  let dir = TemporaryTree.make("keyhold-vault-test")
  writeBytes(dir + "/vault", fileBytes(vaultTestdata(relative)) ?? [])
  return (dir, VaultStore(path: dir + "/vault", lockTimeout: 5, now: { now }))
}
