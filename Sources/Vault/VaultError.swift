/// Why a vault could not be opened, unlocked or changed. Descriptions are one lowercase line.
///
/// Each way a vault file can be damaged has its own case, so the user learns whether to restore a backup
/// (``truncated(actual:expected:)``, ``corrupted(_:)``), retype the passphrase (``wrongPassphrase``), upgrade keyhold
/// (``unsupportedVersion(_:)``) or simply retry (``busy(_:)``).
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No vault file exists at the path.
  case notFound(String)
  /// A vault file already exists where a new one was to be created.
  case alreadyExists(String)
  /// The file does not start with the vault magic: it is some other file.
  case notAVault
  /// The file is shorter than its header says (`expected` is nil when even the header is cut).
  case truncated(actual: Int, expected: Int?)
  /// The whole-file checksum does not match (`checksum mismatch`), or the length fields disagree: bytes were
  /// changed on disk.
  case corrupted(String)
  /// The checksum matches but the content breaks the format rules (written by a broken or hostile program).
  ///
  /// The checksum is unkeyed, so anyone who can write the file can produce one; only the seals (with the
  /// passphrase) authenticate the public half.
  case malformed(String)
  /// The file is an intact vault of a format version this keyhold does not read.
  case unsupportedVersion(UInt32)
  /// The passphrase does not unwrap the data key.
  case wrongPassphrase
  /// The sealed private half failed authentication although the file checksum is intact: deliberate tampering.
  case tampered
  /// Another process holds the vault's write lock and did not release it in time.
  case busy(String)
  /// A system call failed.
  case io(operation: String, path: String, reason: String)
  /// A key with this name is already in the vault.
  case duplicateName(String)
  /// The same public key is already in the vault, under the given name.
  case duplicateKey(existingName: String)
  /// No key has this name.
  case noSuchKey(String)
  /// The name cannot be used for a key.
  case invalidName(String)
  /// A key stored in the vault could not be decoded or encoded.
  case key(String)
  /// Argon2id could not run (usually: not enough memory for the KDF parameters).
  case kdfFailed
  /// The checksum matches but the header holds a value keyhold never writes (KDF limits outside
  /// ``VaultKDF/opsLimitRange`` or ``VaultKDF/memLimitRange``, an unknown KDF): refused before Argon2id runs.
  case alteredHeader(String)
  /// The vault's folder (or the folder of the link naming it) is writable by group or others, who could replace
  /// the file.
  case unsafeFolder(String)
  /// The lock file is a symbolic link; it is never followed.
  case lockFileIsSymlink(String)
  /// The vault path is a symbolic link whose target cannot be resolved (dangling or a loop).
  case unresolvableLink(path: String, reason: String)
  /// No retired key has this name or entry id.
  case noSuchRetiredKey(String)
  /// A retired key cannot be restored under its name: an active key has it.
  case restoreNameTaken(String)
  /// The reason given for retiring keys cannot be stored.
  case invalidReason(String)
  /// Guarded memory for the keys could not be had.
  case outOfSecureMemory
  /// An open session's data key no longer opens the file: the vault was replaced or re-keyed since it was opened.
  case dataKeyChanged(String)

  public var description: String {
    switch self {
    case .notFound(let path): return "no vault at \(path)"
    case .alreadyExists(let path): return "a vault already exists at \(path)"
    case .notAVault: return "not a keyhold vault file (wrong magic bytes)"
    case .truncated(let actual, let expected):
      if let expected { return "vault file is truncated: \(actual) of \(expected) bytes" }
      return "vault file is truncated: only \(actual) bytes, shorter than its header"
    case .corrupted(let why): return "vault file is corrupted: \(why)"
    case .malformed(let why): return "vault file is malformed: \(why)"
    case .unsupportedVersion(let v): return "vault format version \(v) is not supported by this keyhold"
    case .wrongPassphrase: return "incorrect vault passphrase"
    case .tampered: return "vault private half failed authentication: the file was altered"
    case .busy(let path): return "vault is busy: another process holds the lock \(path)"
    case .io(let operation, let path, let reason): return "cannot \(operation) \(path): \(reason)"
    case .duplicateName(let name): return "a key named \"\(name)\" is already in the vault"
    case .duplicateKey(let name): return "this key is already in the vault as \"\(name)\""
    case .noSuchKey(let name): return "no key named \"\(name)\" in the vault"
    case .invalidName(let why): return "invalid key name: \(why)"
    case .key(let why): return "vault key error: \(why)"
    case .kdfFailed: return "passphrase key derivation failed (not enough memory for the vault's kdf parameters?)"
    case .alteredHeader(let why): return "the vault header was altered: \(why)"
    case .unsafeFolder(let dir): return "the vault folder \(dir) is writable by group or others (chmod 700 \(dir))"
    case .lockFileIsSymlink(let path): return "the vault lock file \(path) is a symbolic link; remove it"
    case .unresolvableLink(let path, let reason): return "cannot resolve the vault link \(path): \(reason)"
    case .noSuchRetiredKey(let name): return "no retired key named \"\(name)\" in the vault"
    case .restoreNameTaken(let name):
      return "a key named \"\(name)\" is already in the vault; restore under another name with --as"
    case .invalidReason(let why): return "invalid retire reason: \(why)"
    case .outOfSecureMemory: return "out of secure memory for the vault's keys"
    case .dataKeyChanged(let path): return "the vault \(path) was re-keyed since it was opened; open it again"
    }
  }
}
