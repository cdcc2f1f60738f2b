import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// The vault file on disk: atomic, durable, locked reads and writes (keyhold-vault(5), "Crash safety").
///
/// Readers need no lock (a rename replaces the file whole). Writers take an `flock` on `PATH.lock` and do
/// read-modify-write under it, so concurrent writers serialise and none loses another's change. A write happens only
/// after the current file has been read and fully checked, so a damaged vault is never overwritten.
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

  /// The lock file beside the vault.
  public var lockPath: String { path + ".lock" }

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
      try VaultIO.replace(path, with: file.encode())
    }
  }

  /// Reads and checks the whole file without the passphrase (checksum and structure; not the seal).
  public func readFile() throws(VaultError) -> VaultFile {
    guard let bytes = try VaultIO.read(path, limit: VaultFile.maximumSize) else { throw .notFound(path) }
    return try VaultFile.decode(bytes)
  }

  /// The public half and the sync status, without the passphrase.
  public func readPublic() throws(VaultError) -> VaultPublicView {
    let file = try readFile()
    return VaultPublicView(entries: file.entries, status: file.status, kdf: file.kdf.parameters)
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
        try body(&status, VaultPublicView(entries: file.entries, status: file.status, kdf: file.kdf.parameters))
      } catch {
        failure = error
        return
      }
      status.prune(keeping: file.entries)
      guard status != file.status else { return }
      file.status = status
      try VaultIO.replace(path, with: file.encode())
    }
    if let failure { throw failure }
  }

  /// Replaces the passphrase (and optionally the KDF strength) by re-wrapping the data key; the sealed private half
  /// is left as it is.
  public func changePassphrase(
    from old: SecureBytes, to new: SecureBytes, kdf: Sodium.KDFParameters? = nil
  ) throws(VaultError) {
    try locked { () throws(VaultError) in
      var file = try readFile()
      let dataKey = try file.unwrapDataKey(with: try file.kdf.deriveKey(old))
      file.kdf = .random(kdf ?? file.kdf.parameters)
      try file.wrap(dataKey: dataKey, under: try file.kdf.deriveKey(new))
      try VaultIO.replace(path, with: file.encode())
    }
  }

  // MARK: Internals shared by the key operations

  /// Runs `body` under the writers' lock, removing temp files a killed writer left behind.
  func locked<T>(_ body: () throws(VaultError) -> T) throws(VaultError) -> T {
    let dir = VaultIO.directory(of: path)
    guard access(dir, F_OK) == 0 else { throw .notFound(path) }
    return try VaultLock.withLock(lockPath, timeout: lockTimeout) { () throws(VaultError) -> T in
      VaultIO.removeStaleTemps(for: path)
      return try body()
    }
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
  ///
  /// Argon2id runs before the lock is taken, so a slow KDF does not hold other writers up; the derived key is reused
  /// under the lock unless a concurrent `passwd` changed the KDF block meanwhile.
  func editSealed<T>(
    passphrase: SecureBytes, _ body: (inout [VaultEntry], inout [VaultSecret]) throws(VaultError) -> T
  ) throws(VaultError) -> T {
    let before = try readFile()
    let early = try before.kdf.deriveKey(passphrase)
    _ = try before.unwrapDataKey(with: early)  // fail fast on a wrong passphrase, before locking
    return try locked { () throws(VaultError) -> T in
      var file = try readFile()
      let dataKey = try file.unwrapDataKey(with: try passphraseKey(file, passphrase, cached: (before.kdf, early)))
      var secrets = try file.openPrivate(dataKey: dataKey)
      var entries = file.entries
      let result = try body(&entries, &secrets)
      file.entries = entries
      file.status.prune(keeping: entries)
      try file.seal(secrets, dataKey: dataKey)
      try VaultIO.replace(path, with: file.encode())
      return result
    }
  }
}
