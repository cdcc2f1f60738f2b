import KeyholdCrypto
import SSHKeys

/// What anyone can read without the passphrase: the entries, the retired entries, the sync status and the KDF
/// strength.
public struct VaultPublicView: Equatable, Sendable {
  /// One entry per active key, in the order they were added.
  public var entries: [VaultEntry]
  /// The retired keys, oldest first: kept sealed, not unlocked, until restored or purged.
  public var retired: [VaultRetiredEntry]
  /// The last sync result per binding.
  public var status: VaultStatus
  /// The Argon2id limits that guard the passphrase.
  public var kdf: Sodium.KDFParameters

  /// The format version of the file read.
  public var version: UInt32

  /// Creates a view.
  public init(
    entries: [VaultEntry], status: VaultStatus, kdf: Sodium.KDFParameters, retired: [VaultRetiredEntry] = [],
    version: UInt32 = VaultFile.currentVersion
  ) {
    self.entries = entries
    self.retired = retired
    self.version = version
    self.status = status
    self.kdf = kdf
  }

  /// The view of a decoded file.
  init(_ file: VaultFile) {
    self.init(
      entries: file.entries, status: file.status, kdf: file.kdf.parameters, retired: file.retired,
      version: file.version)
  }

  /// The retired entries named `name`, oldest first.
  public func retired(named name: String) -> [VaultRetiredEntry] { retired.filter { $0.entry.name == name } }

  /// The entry named `name`, if any.
  public func entry(named name: String) -> VaultEntry? { entries.first { $0.name == name } }

  /// The entry with this public key blob, if any.
  public func entry(publicKeyBlob blob: [UInt8]) -> VaultEntry? { entries.first { $0.publicKeyBlob == blob } }
}
