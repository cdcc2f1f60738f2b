import SSHKeys
import SSHWire

/// Whether the agent has a vault, and whether it is open.
enum VaultState: Sendable, Equatable {
  /// No key source was given: the agent behaves exactly like ssh-agent.
  case none
  /// Only the public halves are known.
  case sealed
  /// The private keys are loaded; `until` is the monotonic second at which it seals again.
  case open(until: UInt64?)
}

extension VaultState {
  /// True while the vault's private keys are loaded.
  var isOpen: Bool {
    if case .open = self { return true }
    return false
  }
}

/// What a sign request's key blob names.
enum SignTarget {
  /// A key that can sign now.
  case key(KeyIdentity)
  /// A key of the sealed vault (lazy unlock may open it).
  case sealedVaultKey
  /// Nothing the agent holds.
  case none
}

/// The agent's shared state; only ever touched while holding the keyring's one lock.
struct KeyringState: Sendable {
  /// Keys added by clients (ssh-add), in the order added.
  var added: [KeyIdentity] = []
  /// Keys loaded from the open vault.
  var vaultKeys: [KeyIdentity] = []
  /// The vault's public keys, known while sealed.
  var vaultPublic: [AgentSourceKey] = []
  /// The source generation ``vaultPublic`` was read at.
  var vaultGeneration: UInt64? = nil
  /// The vault's state.
  var vault: VaultState = .none {
    didSet {
      if vault.isOpen != oldValue.isOpen { vaultEpoch &+= 1 }
    }
  }
  /// Counts the vault's openings and sealings, so a refresh read before one is not applied after it.
  var vaultEpoch: UInt64 = 0
  /// The epoch ``vaultSince`` was stamped for.
  var vaultStampedEpoch: UInt64? = nil
  /// The monotonic second the vault was last opened or sealed (or the agent started), for `status@keyhold`.
  var vaultSince: UInt64 = 0
  /// The lock passphrase hash while the agent is locked (SSH_AGENTC_LOCK).
  var lock: LockHash? = nil
  /// The lock also sealed an open vault, so a successful unlock tries the same passphrase on the vault.
  var lockSealedVault = false
  /// Failed unlock attempts in a row (for the back-off).
  var failedUnlocks: UInt32 = 0
  /// The framed SSH2_AGENT_IDENTITIES_ANSWER for connections without destination checks; nil after a change.
  var cachedAnswer: [UInt8]? = nil
  /// Blob → identity, for sign and remove requests.
  var index: [[UInt8]: KeyIdentity] = [:]
  /// Blobs of the sealed vault's keys.
  var sealedIndex: Set<[UInt8]> = []
  /// True when some key carries destination restrictions (listings then depend on the connection).
  var anyDestinations = false
  /// The earliest expiry or vault timeout; nil when nothing expires.
  var nextDeadline: UInt64? = nil

  /// Recomputes the derived fields after any change.
  mutating func changed(listSealed: Bool, now: UInt64) {
    if vaultStampedEpoch != vaultEpoch {
      vaultStampedEpoch = vaultEpoch
      vaultSince = now
    }
    cachedAnswer = nil
    index.removeAll(keepingCapacity: true)
    for id in vaultKeys { index[id.blob] = id }
    for id in added { index[id.blob] = id }  // a key added by ssh-add wins over the vault's copy
    sealedIndex = []
    if vault == .sealed { sealedIndex = Set(vaultPublic.map(\.blob)) }
    anyDestinations = added.contains { !$0.destinations.isEmpty }
    var deadline: UInt64? = added.compactMap(\.expiry).min()
    if case .open(let until?) = vault { deadline = min(deadline ?? until, until) }
    nextDeadline = deadline
    _ = listSealed
  }

  /// The identities a listing shows, before destination filtering: added keys, then the vault's.
  func listed(lazyUnlock: Bool) -> [(blob: [UInt8], comment: String, identity: KeyIdentity?)] {
    if lock != nil { return [] }
    var out: [(blob: [UInt8], comment: String, identity: KeyIdentity?)] = []
    out.reserveCapacity(added.count + vaultKeys.count + vaultPublic.count)
    var seen = Set<[UInt8]>()
    for id in added where !id.hidden {
      out.append((id.blob, id.comment, id))
      seen.insert(id.blob)
    }
    switch vault {
    case .open:
      for id in vaultKeys where !id.hidden && !seen.contains(id.blob) { out.append((id.blob, id.comment, id)) }
    case .sealed where lazyUnlock:
      for k in vaultPublic where !k.hidden && !seen.contains(k.blob) { out.append((k.blob, k.comment, nil)) }
    default: break
    }
    return out
  }

  /// Removes expired keys and seals a timed-out vault; true when something changed.
  mutating func reap(now: UInt64) -> Bool {
    guard let deadline = nextDeadline, deadline <= now else { return false }
    added.removeAll { ($0.expiry ?? .max) <= now }
    if case .open(let until?) = vault, until <= now {
      vaultKeys = []
      vault = .sealed
    }
    return true
  }

  /// What `blob` names for signing.
  func target(_ blob: [UInt8]) -> SignTarget {
    if let id = index[blob] { return .key(id) }
    if sealedIndex.contains(blob) { return .sealedVaultKey }
    return .none
  }
}
