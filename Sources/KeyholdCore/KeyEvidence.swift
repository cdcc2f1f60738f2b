import Audit
import Vault

/// The one rule every destructive command and the agent's `--hide-orphaned` share: what the last syncs prove about
/// a key, and whether instances may still depend on it.
public enum KeyEvidence {
  /// True when the key has bindings and the last sync found every one of them orphaned. A key no sync has looked
  /// at, or that is alive, pending, unverifiable or unchecked anywhere, is not orphaned.
  public static func isOrphaned(_ bindings: [KeyBindingState]) -> Bool {
    !bindings.isEmpty && bindings.allSatisfy { $0.state == .orphaned && $0.record?.flags.contains(.orphaned) == true }
  }

  /// Whether instances launched with the key's key pairs may still exist.
  public enum InstanceUse: Sendable, Equatable {
    /// The cloud said no instance uses any of them.
    case none
    /// This many instances use them, at these places (`name in region`).
    case inUse(Int, places: [String])
    /// The cloud could not be asked (DescribeInstances denied or failed) about these places.
    case unknown(places: [String])

    /// True unless the cloud said none.
    public var mayBeInUse: Bool { self != .none }

    /// A reason to keep the key, for messages: nil when none.
    public var reasonToKeep: String? {
      switch self {
      case .none: return nil
      case .inUse(let n, let places):
        return "\(n) instance\(n == 1 ? " was" : "s were") launched with \(places.joined(separator: ", "))"
      case .unknown(let places):
        return "instance use unknown for \(places.joined(separator: ", ")) (DescribeInstances could not be asked)"
      }
    }
  }

  /// Instance use over the bindings the last sync found orphaned or replaced (those are the ones a delete or prune
  /// would cut off).
  public static func instanceUse(_ bindings: [KeyBindingState]) -> InstanceUse {
    var total = 0
    var used: [String] = []
    var unknown: [String] = []
    for b in bindings where b.state == .orphaned || b.state == .replaced {
      let place = "\(b.keyName) in \(b.place.region.isEmpty ? "an unknown region" : b.place.region)"
      switch b.record?.instancesInUse {
      case .none: unknown.append(place)
      case .some(let n) where n > 0:
        total += n
        used.append(place)
      default: break
      }
    }
    if total > 0 { return .inUse(total, places: used) }
    return unknown.isEmpty ? .none : .unknown(places: unknown)
  }
}

extension AuditState {
  /// The vault's state of the same meaning; nil for cloud-only, which no vault key has.
  public var vaultState: VaultSyncState? {
    switch self {
    case .inSync: return .inSync
    case .idChanged: return .idChanged
    case .replaced: return .replaced
    case .orphaned: return .orphaned
    case .moved: return .moved
    case .pending: return .pending
    case .unverifiable: return .unverifiable
    case .error: return .error
    case .cloudOnly: return nil
    }
  }
}
