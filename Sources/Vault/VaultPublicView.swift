import SSHKeys

/// What anyone can read without the passphrase: the entries, the sync status and the KDF strength.
public struct VaultPublicView: Equatable, Sendable {
  /// One entry per key, in the order they were added.
  public var entries: [VaultEntry]
  /// The last sync result per binding.
  public var status: VaultStatus
  /// The Argon2id limits that guard the passphrase.
  public var kdf: Sodium.KDFParameters

  /// Creates a view.
  public init(entries: [VaultEntry], status: VaultStatus, kdf: Sodium.KDFParameters) {
    self.entries = entries
    self.status = status
    self.kdf = kdf
  }

  /// The entry named `name`, if any.
  public func entry(named name: String) -> VaultEntry? { entries.first { $0.name == name } }

  /// The entry with this public key blob, if any.
  public func entry(publicKeyBlob blob: [UInt8]) -> VaultEntry? { entries.first { $0.publicKeyBlob == blob } }

  /// True when the entry has bindings and the last sync found every one of them orphaned: the agent's
  /// `--hide-orphaned` stops offering such keys. A key still alive in any region stays offered.
  public func isOrphaned(_ entry: VaultEntry) -> Bool {
    guard !entry.bindings.isEmpty else { return false }
    return entry.bindings.allSatisfy { status.record(for: $0, of: entry.id)?.flags.contains(.orphaned) == true }
  }
}
