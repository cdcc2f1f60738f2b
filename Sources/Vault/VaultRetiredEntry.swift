/// A key taken out of use by `remove` or `prune`: no longer unlocked or offered, but its private half stays sealed
/// in the vault until it is restored or purged, so that neither command can destroy a key.
///
/// Part of the public half, so it is bound into the seal like the active entries.
public struct VaultRetiredEntry: Hashable, Sendable {
  /// The entry as it was when retired (same id, name, key and bindings).
  public var entry: VaultEntry
  /// When it was retired, in seconds since the Unix epoch.
  public var retiredAt: Int64
  /// When a purge of expired entries may drop it for good, in seconds since the Unix epoch.
  public var expiresAt: Int64
  /// Why it was retired, one short line (`removed`, `orphaned`, ...).
  public var reason: String

  /// Creates a retired entry.
  public init(entry: VaultEntry, retiredAt: Int64, expiresAt: Int64, reason: String) {
    self.entry = entry
    self.retiredAt = retiredAt
    self.expiresAt = expiresAt
    self.reason = reason
  }

  /// True when the retention is over at `now`.
  public func isExpired(at now: Int64) -> Bool { expiresAt <= now }
}

/// How long retired keys are kept by default.
public enum VaultRetention {
  /// 30 days, in seconds.
  public static let defaultSeconds: Int64 = 30 * 86400
  /// Longest reason accepted, in UTF-8 bytes.
  public static let maximumReasonBytes = 200
}

/// What ``VaultStore/retire(names:reason:retention:passphrase:)`` did in its one write.
public struct VaultRetireResult: Hashable, Sendable {
  /// The entries retired now, in the order asked.
  public var retired: [VaultRetiredEntry]
  /// Retired entries whose retention had run out, dropped for good by the same write.
  public var purged: [VaultRetiredEntry]

  /// Creates a result.
  public init(retired: [VaultRetiredEntry], purged: [VaultRetiredEntry]) {
    self.retired = retired
    self.purged = purged
  }
}
