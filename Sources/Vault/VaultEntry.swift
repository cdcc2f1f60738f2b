import SSHKeys

/// The public record of one key in the vault: readable without the passphrase, bound into the seal.
public struct VaultEntry: Hashable, Sendable {
  /// The stable identity, kept across renames.
  public var id: VaultEntryID
  /// The unique name the user calls the key by.
  public var name: String
  /// The SSH algorithm name (`ssh-ed25519`, `ssh-rsa`, ...).
  public var algorithm: String
  /// The SSH public key blob.
  public var publicKeyBlob: [UInt8]
  /// The key comment (as in the key file, or the name it was imported under).
  public var comment: String
  /// When the key entered the vault, in seconds since the Unix epoch.
  public var createdAt: Int64
  /// Fingerprints computed at import, one per formula the key allows.
  public var fingerprints: [VaultFingerprint]
  /// The cloud key pairs this key is.
  public var bindings: [VaultBinding]

  /// Creates an entry.
  public init(
    id: VaultEntryID, name: String, algorithm: String, publicKeyBlob: [UInt8], comment: String, createdAt: Int64,
    fingerprints: [VaultFingerprint] = [], bindings: [VaultBinding] = []
  ) {
    self.id = id
    self.name = name
    self.algorithm = algorithm
    self.publicKeyBlob = publicKeyBlob
    self.comment = comment
    self.createdAt = createdAt
    self.fingerprints = fingerprints
    self.bindings = bindings
  }

  /// The algorithm as a known key type, or nil for one this keyhold does not know.
  public var keyAlgorithm: KeyAlgorithm? { KeyAlgorithm(rawValue: algorithm) }

  /// The fingerprint of the given kind, if it was computed.
  public func fingerprint(_ kind: String) -> String? {
    fingerprints.first { $0.kind == kind }?.value
  }
}
