import KeyholdCrypto
import SSHKeys
import Vault

/// `keyhold prune`, `remove`, `restore` and `purge`: keys leave use by being retired (sealed, restorable for a
/// retention period), never destroyed on the way; destroying them is `purge`, a separate, explicit act.
public struct Retirement: Sendable {
  /// The vault.
  public var store: VaultStore
  /// How long a retired key is kept, in seconds.
  public var retention: Int64

  /// Creates the use cases for one vault.
  public init(store: VaultStore, retention: Int64 = VaultRetention.defaultSeconds) {
    self.store = store
    self.retention = retention
  }

  /// What `prune --orphaned` would do, decided without the passphrase.
  public struct PrunePlan: Sendable, Equatable {
    /// Keys to retire.
    public var victims: [String]
    /// Keys that are orphaned but kept, and why.
    public var kept: [(name: String, reason: String)]

    public static func == (a: PrunePlan, b: PrunePlan) -> Bool {
      a.victims == b.victims && a.kept.map(\.name) == b.kept.map(\.name) && a.kept.map(\.reason) == b.kept.map(\.reason)
    }
  }

  /// The keys the last syncs proved orphaned (``KeyEvidence/isOrphaned(_:)``), minus those instances may still use
  /// (``KeyEvidence/instanceUse(_:)``) unless `forceInUse`.
  public func planPrune(forceInUse: Bool) throws -> PrunePlan {
    let view = try store.readPublic()
    var plan = PrunePlan(victims: [], kept: [])
    for entry in view.entries {
      let bindings = KeyBindings.of(entry, in: view)
      guard KeyEvidence.isOrphaned(bindings) else { continue }
      if !forceInUse, let why = KeyEvidence.instanceUse(bindings).reasonToKeep {
        plan.kept.append((entry.name, "\(why); its private key may be the only way in (--force-in-use retires it)"))
        continue
      }
      plan.victims.append(entry.name)
    }
    return plan
  }

  /// Retires `names` in one vault write (reason `orphaned`) and purges retired keys whose retention is over.
  public func prune(_ names: [String], passphrase: SecureBytes) throws -> VaultRetireResult {
    let result = try store.retire(names: names, reason: "orphaned", retention: retention, passphrase: passphrase)
    AuditStore(vaultPath: store.path).forget(localKeys: Set(names))
    return result
  }

  /// Retires one key (reason `removed`).
  public func remove(_ name: String, passphrase: SecureBytes) throws -> VaultRetireResult {
    let result = try store.retire(names: [name], reason: "removed", retention: retention, passphrase: passphrase)
    AuditStore(vaultPath: store.path).forget(localKeys: [name])
    return result
  }

  /// Brings a retired key back, under `newName` if given.
  public func restore(_ name: String, as newName: String?, passphrase: SecureBytes) throws -> VaultEntry {
    try store.restore(name: name, as: newName, passphrase: passphrase)
  }

  /// The retired keys `purge` would destroy: those named (nil: all), or only the expired ones.
  public func planPurge(names: [String]?, expiredOnly: Bool, now: Int64) throws -> [VaultRetiredEntry] {
    let view = try store.readPublic()
    var out: [VaultRetiredEntry] = []
    if let names {
      for name in names {
        let matches = view.retired.filter { $0.entry.name == name || $0.entry.id.description == name }
        guard !matches.isEmpty else { throw VaultError.noSuchRetiredKey(name) }
        out += matches
      }
    } else {
      out = view.retired
    }
    return out.filter { !expiredOnly || $0.isExpired(at: now) }
  }

  /// Destroys retired keys for good.
  public func purge(names: [String]?, expiredOnly: Bool, passphrase: SecureBytes) throws -> [VaultRetiredEntry] {
    try store.purge(names: names, expiredOnly: expiredOnly, passphrase: passphrase)
  }
}
