import SSHKeys

/// A vault file as values: the pure format of keyhold-vault(5), with no crypto and no I/O.
///
/// ``decode(_:)`` is total (every input gives a value or a typed ``VaultError``) and canonical
/// (`decode(b).encode() == b` for every accepted `b`).
public struct VaultFile: Equatable, Sendable {
  /// The leading magic bytes, `KHVAULT` and a NUL.
  public static let magic: [UInt8] = Array("KHVAULT".utf8) + [0]
  /// The format version this code writes; it also reads ``supportedVersions``.
  public static let currentVersion: UInt32 = 2
  /// The versions this code reads. A version 1 file is written back as version 1 by status-only writes (which
  /// cannot re-seal without the passphrase) and becomes version 2 at the next write with the passphrase.
  public static let supportedVersions: ClosedRange<UInt32> = 1...2
  /// Size of the version-independent prefix: magic, version, length, complement of the length.
  public static let prefixSize = 28
  /// Size of the trailing BLAKE2b-256 checksum (every version ends with it).
  public static let checksumSize = 32
  /// Size of the sealed data key: 32 key bytes and the Poly1305 tag.
  public static let wrappedKeySize = 32 + 16
  /// Offset of the public section's length field (versions 1 and 2).
  public static let publicSectionOffset = 136
  /// Largest vault file accepted (64 MiB; a 1,000-key vault is well under 2 MiB).
  public static let maximumSize = 64 << 20

  /// The format version of the file; ``encode()`` writes this version's layout.
  public var version: UInt32
  /// The passphrase KDF.
  public var kdf: VaultKDF
  /// The nonce that seals the data key.
  public var wrapNonce: [UInt8]
  /// The data key sealed under the passphrase key (ciphertext and tag).
  public var wrappedKey: [UInt8]
  /// The public half: one entry per active key.
  public var entries: [VaultEntry]
  /// The retired keys, oldest first; their private halves stay sealed after the active keys' (version 2 only).
  public var retired: [VaultRetiredEntry]
  /// The unsealed status section.
  public var status: VaultStatus
  /// The nonce that seals the private half.
  public var sealedNonce: [UInt8]
  /// The private half sealed under the data key (ciphertext and tag).
  public var sealedPrivate: [UInt8]

  /// Creates a file value.
  public init(
    kdf: VaultKDF, wrapNonce: [UInt8], wrappedKey: [UInt8], entries: [VaultEntry], status: VaultStatus,
    sealedNonce: [UInt8], sealedPrivate: [UInt8], retired: [VaultRetiredEntry] = [], version: UInt32 = currentVersion
  ) {
    self.version = version
    self.retired = retired
    self.kdf = kdf
    self.wrapNonce = wrapNonce
    self.wrappedKey = wrappedKey
    self.entries = entries
    self.status = status
    self.sealedNonce = sealedNonce
    self.sealedPrivate = sealedPrivate
  }

  /// The entry named `name`, if any.
  public func entry(named name: String) -> VaultEntry? { entries.first { $0.name == name } }
}
