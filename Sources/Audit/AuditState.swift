/// The state of one (local key, cloud key pair) pair, as keyhold-audit(1) defines them.
public enum AuditState: String, Sendable, Codable, CaseIterable, Comparable {
  /// Same name, a fingerprint formula matches, same id.
  case inSync = "in-sync"
  /// Same name and fingerprint, but a new key pair id.
  case idChanged = "id-changed"
  /// The name exists, but no fingerprint formula of the local key matches.
  case replaced
  /// The name is gone.
  case orphaned
  /// The name is gone, but the key's fingerprint is listed under another name or region.
  case moved
  /// A key pair in the cloud with no local private key.
  case cloudOnly = "cloud-only"
  /// Made moments ago and not listed yet (EC2 is eventually consistent).
  case pending
  /// No fingerprint formula can be computed to compare.
  case unverifiable
  /// The scope could not be listed; nothing is concluded.
  case error

  /// Whether this state means the vault and the cloud disagree (exit status 1).
  public var isDrift: Bool {
    switch self {
    case .inSync, .pending, .error: return false
    case .idChanged, .replaced, .orphaned, .moved, .cloudOnly, .unverifiable: return true
    }
  }

  /// Orders states as reports list them.
  public static func < (a: AuditState, b: AuditState) -> Bool {
    a.order < b.order
  }

  private var order: Int {
    switch self {
    case .inSync: return 0
    case .idChanged: return 1
    case .replaced: return 2
    case .orphaned: return 3
    case .moved: return 4
    case .cloudOnly: return 5
    case .pending: return 6
    case .unverifiable: return 7
    case .error: return 8
    }
  }
}
