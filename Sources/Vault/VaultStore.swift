import KeyholdCrypto
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// The vault file on disk: atomic, durable, locked reads and writes (keyhold-vault(5), "Crash safety").
///
/// Readers need no lock (a rename replaces the file whole). Writers take an `flock` on `PATH.lock` and do
/// read-modify-write under it, so concurrent writers serialise and none loses another's change. A write happens only
/// after the current file has been read and fully checked, so a damaged vault is never overwritten.
///
/// A vault path that is a symbolic link is read and written through to its target (the lock and temp files sit
/// beside the target). A vault whose folder, or the folder of the link naming it, is writable by group or others is
/// refused with ``VaultError/unsafeFolder(_:)`` (keyhold-vault(5), "FILES AND FOLDERS").
public struct VaultStore: Sendable {
  /// The vault file.
  public let path: String
  /// How long a writer waits for another writer's lock before failing with ``VaultError/busy(_:)``, in seconds.
  public var lockTimeout: Double
  /// The clock for creation and sync times, in seconds since the Unix epoch (injected by tests).
  public var now: @Sendable () -> Int64

  /// A store for the vault file at `path`.
  public init(path: String, lockTimeout: Double = 30, now: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }) {
    self.path = path
    self.lockTimeout = lockTimeout
    self.now = now
  }

  /// The lock file beside the vault (beside the link's target when ``path`` is a symbolic link).
  public var lockPath: String { ((try? VaultIO.resolveTarget(path)) ?? path) + ".lock" }

  /// True when a file exists at ``path``.
  public var exists: Bool { access(path, F_OK) == 0 }

  /// Creates an empty vault guarded by `passphrase`; its folder is created with mode 0700 when missing.
  public func create(passphrase: SecureBytes, kdf: Sodium.KDFParameters = VaultKDFProfile.default.parameters)
    throws(VaultError)
  {
    try VaultIO.makeDirectory(VaultIO.directory(of: path))
    let (file, _) = try VaultFile.create(passphrase: passphrase, kdf: kdf)
    try locked { () throws(VaultError) in
      guard !exists else { throw VaultError.alreadyExists(path) }
      try write(file)
    }
  }

  /// Reads and checks the whole file without the passphrase (checksum and structure; not the seal).
  public func readFile() throws(VaultError) -> VaultFile {
    try checkFolders()
    guard let bytes = try VaultIO.read(path, limit: VaultFile.maximumSize) else { throw .notFound(path) }
    return try VaultFile.decode(bytes)
  }

  /// The public half and the sync status, without the passphrase.
  ///
  /// Nothing here is authenticated: the checksum is unkeyed, so whoever can write the file can change the public
  /// half and recompute it. Use ``readPublicVerified(passphrase:)`` where that matters.
  public func readPublic() throws(VaultError) -> VaultPublicView {
    VaultPublicView(try readFile())
  }

  /// The public half and the sync status, with the public half (entries and retired entries) authenticated: runs
  /// the KDF, opens the data key and the private half, whose seal binds the public half as associated data.
  ///
  /// A public half changed without the passphrase fails with ``VaultError/tampered``. The status section is never
  /// authenticated (it is written without the passphrase).
  public func readPublicVerified(passphrase: SecureBytes) throws(VaultError) -> VaultPublicView {
    let (file, _, _) = try openSealed(passphrase)
    return VaultPublicView(file)
  }

  /// Changes the sync status section without the passphrase.
  ///
  /// `body` sees the current status and public half (read under the lock) and edits the status; records about keys
  /// or bindings that no longer exist are dropped. Nothing is written if `body` throws.
  public func updateStatus(_ body: (inout VaultStatus, VaultPublicView) throws -> Void) throws {
    var failure: (any Error)?
    try locked { () throws(VaultError) in
      var file = try readFile()
      var status = file.status
      do {
        try body(&status, VaultPublicView(file))
      } catch {
        failure = error
        return
      }
      status.prune(keeping: file.entries)
      guard status != file.status else { return }
      file.status = status
      try write(file)
    }
    if let failure { throw failure }
  }

  /// Replaces the passphrase (and optionally the KDF strength) by re-wrapping the data key; the sealed private half
  /// is left as it is (a version 1 file is upgraded, which seals it again).
  public func changePassphrase(
    from old: SecureBytes, to new: SecureBytes, kdf: Sodium.KDFParameters? = nil
  ) throws(VaultError) {
    try locked { () throws(VaultError) in
      var file = try readFile()
      let dataKey = try file.unwrapDataKey(with: try file.kdf.deriveKey(old))
      if file.version != VaultFile.currentVersion {
        let secrets = try file.openPrivate(dataKey: dataKey)
        file.version = VaultFile.currentVersion
        try file.seal(secrets, dataKey: dataKey)
      }
      file.kdf = .random(kdf ?? file.kdf.parameters)
      try file.wrap(dataKey: dataKey, under: try file.kdf.deriveKey(new))
      try write(file)
    }
  }

  // MARK: Internals shared by the key operations

  /// Runs `body` under the writers' lock, removing temp files a killed writer left behind.
  func locked<T>(_ body: () throws(VaultError) -> T) throws(VaultError) -> T {
    let dir = VaultIO.directory(of: path)
    guard access(dir, F_OK) == 0 else { throw .notFound(path) }
    try checkFolders()
    let target = try VaultIO.resolveTarget(path)
    return try VaultLock.withLock(target + ".lock", timeout: lockTimeout) { () throws(VaultError) -> T in
      VaultIO.removeStaleTemps(for: target)
      return try body()
    }
  }

  /// Writes `file` durably over the vault, through a symbolic link to its target (resolved again for every write).
  func write(_ file: VaultFile) throws(VaultError) {
    let target = try VaultIO.resolveTarget(path)
    try VaultIO.checkFolder(VaultIO.directory(of: target))
    try VaultIO.replace(target, with: file.encode())
  }

  /// Refuses a vault whose folder, or whose link target's folder, group or others can write.
  func checkFolders() throws(VaultError) {
    try VaultIO.checkFolder(VaultIO.directory(of: path))
    let target = try VaultIO.resolveTarget(path)
    if target != path { try VaultIO.checkFolder(VaultIO.directory(of: target)) }
  }

  /// Derives the passphrase key for `file`, reusing `cached` when it was derived for the same KDF block.
  private func passphraseKey(
    _ file: VaultFile, _ passphrase: SecureBytes, cached: (VaultKDF, SecureBytes)?
  ) throws(VaultError) -> SecureBytes {
    if let cached, cached.0 == file.kdf { return cached.1 }
    return try file.kdf.deriveKey(passphrase)
  }

  /// Opens the file with the passphrase: the file, its data key and its private half.
  func openSealed(_ passphrase: SecureBytes) throws(VaultError) -> (VaultFile, SecureBytes, [VaultSecret]) {
    let file = try readFile()
    let dataKey = try file.unwrapDataKey(with: try file.kdf.deriveKey(passphrase))
    return (file, dataKey, try file.openPrivate(dataKey: dataKey))
  }

  /// Read-modify-write of the sealed part under the lock: `body` edits the entries and their secrets (kept in the
  /// same order), then the private half is sealed again with a fresh nonce and the file replaced.
  func editSealed<T>(
    passphrase: SecureBytes, _ body: (inout [VaultEntry], inout [VaultSecret]) throws(VaultError) -> T
  ) throws(VaultError) -> T {
    try editContents(passphrase: passphrase) { (c: inout VaultContents) throws(VaultError) -> T in
      try body(&c.entries, &c.secrets)
    }
  }

  /// Read-modify-write of the sealed part under the lock: `body` edits the active and retired entries with their
  /// secrets, then the file is written as the current version, its private half sealed again with a fresh nonce
  /// (a version 1 file is upgraded here: its data key is wrapped again with the current version's associated data).
  ///
  /// Argon2id runs before the lock is taken, so a slow KDF does not hold other writers up; the derived key is reused
  /// under the lock unless a concurrent `passwd` changed the KDF block meanwhile.
  func editContents<T>(passphrase: SecureBytes, _ body: (inout VaultContents) throws(VaultError) -> T)
    throws(VaultError) -> T
  {
    let before = try readFile()
    let early = try before.kdf.deriveKey(passphrase)
    _ = try before.unwrapDataKey(with: early)  // fail fast on a wrong passphrase, before locking
    return try locked { () throws(VaultError) -> T in
      var file = try readFile()
      let passphraseKey = try passphraseKey(file, passphrase, cached: (before.kdf, early))
      let dataKey = try file.unwrapDataKey(with: passphraseKey)
      let secrets = try file.openPrivate(dataKey: dataKey)
      var contents = VaultContents(
        entries: file.entries, secrets: Array(secrets[..<file.entries.count]), retired: file.retired,
        retiredSecrets: Array(secrets[file.entries.count...]))
      let result = try body(&contents)
      file.entries = contents.entries
      file.retired = contents.retired
      file.status.prune(keeping: contents.entries)
      if file.version != VaultFile.currentVersion {
        file.version = VaultFile.currentVersion
        try file.wrap(dataKey: dataKey, under: passphraseKey)
      }
      try file.seal(contents.secrets + contents.retiredSecrets, dataKey: dataKey)
      try write(file)
      return result
    }
  }
}

/// The sealed part of a vault as ``VaultStore/editContents(passphrase:_:)`` hands it out: each list with its
/// secrets in the same order.
struct VaultContents {
  var entries: [VaultEntry]
  var secrets: [VaultSecret]
  var retired: [VaultRetiredEntry]
  var retiredSecrets: [VaultSecret]
}
