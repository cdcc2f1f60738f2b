/// What the last sync or audit concluded about one cloud binding, stored as one byte in the status section.
///
/// The set is closed: a status record with a code outside it makes the file malformed, so a reader never has to
/// guess what an unknown state means for `--hide-orphaned` or `prune`.
public enum VaultSyncState: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  /// Same name, a fingerprint formula matches, same key pair id.
  case inSync = 1
  /// Same name and fingerprint, but the cloud reports another key pair id.
  case idChanged = 2
  /// The name exists, but no fingerprint formula of the local key matches.
  case replaced = 3
  /// The key pair is gone from the cloud.
  case orphaned = 4
  /// The name is gone, but the key's fingerprint is listed under another name or region.
  case moved = 5
  /// Made moments ago and not listed yet (EC2 is eventually consistent).
  case pending = 6
  /// No fingerprint formula could be computed to compare.
  case unverifiable = 7
  /// The cloud could not be asked; nothing is concluded.
  case error = 8

  /// The state's name as reports print it (`in-sync`, `id-changed`, ...), the same as the audit's state names.
  public var name: String {
    switch self {
    case .inSync: return "in-sync"
    case .idChanged: return "id-changed"
    case .replaced: return "replaced"
    case .orphaned: return "orphaned"
    case .moved: return "moved"
    case .pending: return "pending"
    case .unverifiable: return "unverifiable"
    case .error: return "error"
    }
  }

  /// The state with this ``name``, or nil.
  public init?(name: String) {
    guard let state = Self.allCases.first(where: { $0.name == name }) else { return nil }
    self = state
  }

  /// The ``name``.
  public var description: String { name }
}
