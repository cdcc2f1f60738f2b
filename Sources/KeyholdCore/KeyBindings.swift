import Audit
import Vault

/// One place a vault key is believed to live, with what the last sync found there.
///
/// A key's bindings are the sealed ones (recorded by `import`, `create` and `upload` under the passphrase) and the
/// learned ones (key pairs a sync found by fingerprint, kept in the unsealed status section). A sealed binding with
/// unknown parts is shown where a sync found it (a status record that ``VaultStatusRecord/resolves`` it).
public struct KeyBindingState: Sendable, Equatable {
  /// Where it lives, as far as is known (empty endpoint, account or region: unknown).
  public var place: CloudScope
  /// The key pair name.
  public var keyName: String
  /// The sealed binding, or nil for a learned one.
  public var sealed: VaultBinding?
  /// The last sync's record about it, if any.
  public var record: VaultStatusRecord?

  /// The state the last sync found, or nil when none looked.
  public var state: VaultSyncState? { record?.state }
}

/// Reads bindings and their records out of a vault's public view, in the terms of one cloud.
public enum KeyBindings {
  /// Every binding of `entry` with its latest record. Stored clouds are interpreted in `context` (older vaults
  /// named a profile or `aws`); without a context they are taken as stored.
  public static func of(_ entry: VaultEntry, in view: VaultPublicView, context: CloudContext? = nil)
    -> [KeyBindingState]
  {
    let records = view.status.records(of: entry.id)
    var out: [KeyBindingState] = []
    for b in entry.bindings {
      let record = records.first { $0.sealedBinding == b.key && !$0.flags.contains(.learned) }
      if let r = record, r.resolves != nil {
        out.append(
          KeyBindingState(
            place: CloudScope(endpoint: r.cloud, account: r.account, region: r.region), keyName: r.keyName, sealed: b,
            record: r))
      } else {
        out.append(
          KeyBindingState(place: storedPlace(b, context: context), keyName: b.keyName, sealed: b, record: record))
      }
    }
    for r in records where r.flags.contains(.learned) {
      out.append(
        KeyBindingState(
          place: CloudScope(endpoint: r.cloud, account: r.account, region: r.region), keyName: r.keyName, sealed: nil,
          record: r))
    }
    return out
  }

  /// Where a sealed binding says it is, its parts normalised; the account counts only when the cloud reported it
  /// (a format 1 vault stored the access key id there, which is a credential, not an account).
  public static func storedPlace(_ b: VaultBinding, context: CloudContext?) -> CloudScope {
    let endpoint = context.map { EndpointIdentity.ofStored(b.cloud, region: b.region, context: $0) } ?? b.cloud
    var account = b.flags.contains(.accountFromCloud) ? b.account : ""
    // The same credentials reach the same account: an old binding that names this access key id is in it.
    if account.isEmpty, let c = context, !b.account.isEmpty, b.account == c.target.credentials.accessKeyID,
      endpoint == c.endpointIdentity
    {
      account = c.accountID
    }
    // An empty region is unknown, also in format 1 vaults (which took it as "the configured region" and so called a
    // key pair made in another region orphaned).
    return CloudScope(endpoint: endpoint, account: account, region: b.region)
  }
}
