import KeyholdCrypto
import SSHKeys
import Testing

@testable import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `bytes` with `change` applied and the checksum recomputed, as a hostile writer would leave it.
private func rewritten(_ bytes: [UInt8], _ change: (inout [UInt8]) -> Void) -> [UInt8] {
  var b = bytes
  change(&b)
  b.removeLast(VaultFile.checksumSize)
  return b + Sodium.hash(b)
}

/// Writes a big-endian integer of `size` bytes at `offset`.
private func put(_ value: UInt64, size: Int, at offset: Int, in b: inout [UInt8]) {
  for i in 0..<size { b[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * (size - 1 - i))) }
}

/// Every header field altered with a recomputed checksum gives its own error: values keyhold never writes are an
/// altered header (before Argon2id runs), values it could have written fail the data key's seal.
@Test func everyAlteredHeaderFieldHasItsOwnError() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  _ = try t.store.addSealed([(fakeEntry("a"), fakeWire("a"))], passphrase: t.passphrase, force: false)
  let good = try #require(fileBytes(t.store.path))
  func outcome(_ bytes: [UInt8]) -> VaultError? {
    writeBytes(t.store.path, bytes)
    do {
      _ = try t.store.unlockSealed(passphrase: t.passphrase)
      return nil
    } catch { return error }
  }
  func altered(_ e: VaultError?) -> Bool {
    if case .alteredHeader = e { return true }
    return false
  }
  #expect(outcome(rewritten(good) { $0[0] = 0x4c }) == .notAVault)
  #expect(outcome(rewritten(good) { put(7, size: 4, at: 8, in: &$0) }) == .unsupportedVersion(7))
  #expect(outcome(rewritten(good) { $0[27] ^= 1 }) == .corrupted("the two length fields disagree"))
  #expect(outcome(rewritten(good) { put(2, size: 4, at: 28, in: &$0) }) == .alteredHeader("unknown kdf algorithm 2"))
  #expect(altered(outcome(rewritten(good) { put(0, size: 8, at: 32, in: &$0) })))
  #expect(altered(outcome(rewritten(good) { put(1 << 32, size: 8, at: 32, in: &$0) })))
  #expect(altered(outcome(rewritten(good) { put(1 << 31, size: 8, at: 40, in: &$0) })))
  #expect(altered(outcome(rewritten(good) { put(1024, size: 8, at: 40, in: &$0) })))
  // Limits keyhold could have written, the salt, the nonce and the sealed key: only the seal can tell.
  #expect(outcome(rewritten(good) { put(2, size: 8, at: 32, in: &$0) }) == .wrongPassphrase)
  #expect(outcome(rewritten(good) { put(16384, size: 8, at: 40, in: &$0) }) == .wrongPassphrase)
  for offset in [48, 64, 88, 135] {
    #expect(outcome(rewritten(good) { $0[offset] ^= 0x01 }) == .wrongPassphrase)
  }
  // Without a recomputed checksum every change is plain corruption.
  var flipped = good
  flipped[40] ^= 0x80
  #expect(outcome(flipped) == .corrupted("checksum mismatch"))
  #expect(outcome(Array(good.dropLast(1))) == .truncated(actual: good.count - 1, expected: good.count))
  #expect(outcome(good) == nil)
}

@Test func theErrorsForDamagedVaultsAreDistinctOneLineMessages() {
  let errors: [VaultError] = [
    .notAVault, .truncated(actual: 3, expected: 9), .corrupted("checksum mismatch"), .malformed("x"),
    .unsupportedVersion(9), .wrongPassphrase, .tampered, .alteredHeader("memory limit 9 bytes exceeds ..."),
    .unsafeFolder("/d"), .lockFileIsSymlink("/d/vault.lock"), .unresolvableLink(path: "/v", reason: "loop"),
    .noSuchRetiredKey("k"), .restoreNameTaken("k"), .invalidReason("x"),
  ]
  let texts = errors.map(\.description)
  #expect(Set(texts).count == texts.count)
  for text in texts {
    #expect(!text.contains("\n"))
    #expect(text.first?.isLowercase == true)
  }
  #expect(VaultError.alteredHeader("y").description == "the vault header was altered: y")
}

@Test func verifiedPublicReadsCatchAPublicHalfChangedWithoutThePassphrase() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let b = VaultBinding(cloud: "c", account: "1", region: "r", keyName: "k")
  _ = try t.store.addSealed([(fakeEntry("a", bindings: [b]), fakeWire("a"))], passphrase: t.passphrase, force: false)
  #expect(try t.store.readPublicVerified(passphrase: t.passphrase) == t.store.readPublic())
  #expect(throws: VaultError.wrongPassphrase) { try t.store.readPublicVerified(passphrase: secret("no")) }
  var file = try t.store.readFile()
  file.entries[0].bindings[0].account = "999999999999"
  writeBytes(t.store.path, file.encode())
  #expect(try t.store.readPublic().entries[0].bindings[0].account == "999999999999")
  #expect(throws: VaultError.tampered) { try t.store.readPublicVerified(passphrase: t.passphrase) }
}

@Test func aVaultPathThatIsASymlinkIsWrittenThroughToItsTarget() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  mkdir(t.dir + "/links", 0o700)
  let link = t.dir + "/links/vault"
  #expect(symlink(t.store.path, link) == 0)
  let viaLink = VaultStore(path: link, lockTimeout: 5, now: { 1_700_000_000 })
  _ = try viaLink.addSealed([(fakeEntry("a"), fakeWire("a"))], passphrase: t.passphrase, force: false)
  var st = stat()
  #expect(lstat(link, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
  #expect(try t.store.readPublic().entries.map(\.name) == ["a"])
  // The lock sits beside the target, so every path to the vault takes the same lock.
  #expect(viaLink.lockPath == t.store.path + ".lock")
  #expect(access(t.dir + "/links/vault.lock", F_OK) != 0)
  #expect(access(t.store.path + ".lock", F_OK) == 0)
}

@Test func aSymlinkedLockFileIsRefusedAndItsTargetNeverCreated() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  unlink(t.store.lockPath)
  let planted = t.dir + "/planted"
  #expect(symlink(planted, t.store.lockPath) == 0)
  #expect(throws: VaultError.lockFileIsSymlink(t.store.path + ".lock")) { try t.store.updateStatus { _, _ in } }
  #expect(access(planted, F_OK) != 0)
  #expect(VaultError.lockFileIsSymlink("/x").description.contains("symbolic link"))
}

@Test func aDanglingVaultLinkIsRefused() throws {
  let t = try TestVault(create: false)
  defer { t.cleanup() }
  mkdir(t.dir + "/sub", 0o700)
  #expect(symlink(t.dir + "/nowhere/vault", t.store.path) == 0)
  #expect(throws: VaultError.self) { try t.store.create(passphrase: t.passphrase, kdf: .minimum) }
  #expect(access(t.dir + "/nowhere", F_OK) != 0)
}

@Test func aVaultInAFolderOthersCanWriteIsRefused() throws {
  let t = try TestVault()
  defer { t.cleanup() }
  let folder = t.dir + "/sub"
  for mode: mode_t in [0o770, 0o702] {
    #expect(chmod(folder, mode) == 0)
    #expect(throws: VaultError.unsafeFolder(folder)) { try t.store.readPublic() }
    #expect(throws: VaultError.unsafeFolder(folder)) { try t.store.updateStatus { _, _ in } }
    #expect(throws: VaultError.unsafeFolder(folder)) { try t.store.unlock(passphrase: t.passphrase) }
  }
  #expect(VaultError.unsafeFolder(folder).description.hasSuffix("(chmod 700 \(folder))"))
  #expect(chmod(folder, 0o750) == 0)
  #expect(try t.store.readPublic().entries.isEmpty)
}
