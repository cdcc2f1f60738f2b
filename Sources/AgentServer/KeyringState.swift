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

/// One entry of a listing before destination filtering: what is shown, the key behind it (nil for a sealed
/// vault key, which carries no constraints), and the key's fingerprint, taken when it entered the keyring, by
/// which bound connections order the listing (``HostOrdering``).
struct ListedKey: Sendable {
  var identity: AgentIdentity
  var key: KeyIdentity?
  var fingerprint: String
}

/// The keyring's values; only ever touched while holding ``Keyring``'s one lock.
///
/// Every mutation does O(1) work (amortised) so the lock is never held for work that grows with the number of
/// keys: added keys live in a slot array with a blob → slot index, removals leave a hole that a later compaction
/// (amortised over the removals that made the holes) closes, and derived sets are built by the caller before the
/// lock is taken.
struct KeyringState: Sendable {
  /// Keys added by clients (ssh-add), in the order added; nil: a removed key's hole.
  private(set) var added: [KeyIdentity?] = []
  /// Blob → slot in ``added``.
  private(set) var addedSlot: [[UInt8]: Int] = [:]
  /// Keys loaded from the open vault, in vault order.
  private(set) var vaultKeys: [KeyIdentity] = []
  /// Blob → position of its (first) key in ``vaultKeys``, for lookups. A position rather than a copy of the key:
  /// a dictionary holds its values inline in every bucket, so copies would cost a 10,000-key vault about 2 MB more.
  private(set) var vaultIndex: [[UInt8]: Int] = [:]
  /// The vault's public keys, known while sealed.
  private(set) var vaultPublic: [AgentSourceKey] = []
  /// Blobs of ``vaultPublic``.
  private(set) var vaultPublicBlobs: Set<[UInt8]> = []
  /// Fingerprints of ``vaultPublic``, in its order (``KeyFingerprint``), taken before the lock was taken.
  private(set) var vaultPublicFingerprints: [String] = []
  /// The source generation ``vaultPublic`` was read at.
  private(set) var vaultGeneration: UInt64? = nil
  /// The vault's state.
  var vault: VaultState = .none {
    didSet {
      if vault.isOpen != oldValue.isOpen { vaultEpoch &+= 1 }
    }
  }
  /// Loaded PKCS #11 providers by canonical path (ssh-add -s); their keys are among ``added``.
  var providers: [String: PKCS11Provider] = [:]
  /// Counts the vault's openings and sealings, so a re-read of the vault begun before one is not applied after it.
  private(set) var vaultEpoch: UInt64 = 0
  /// The epoch ``vaultSince`` was stamped for.
  private var vaultStampedEpoch: UInt64 = 0
  /// The monotonic second the vault was last opened or sealed (or the keyring made), for `status@keyhold`.
  private(set) var vaultSince: UInt64 = 0
  /// The lock passphrase hash while the agent is locked (SSH_AGENTC_LOCK).
  var lock: LockHash? = nil
  /// The lock also sealed an open vault, so a successful unlock tries the same passphrase on the vault.
  var lockSealedVault = false
  /// The listing for connections without destination checks, at ``version``; nil after a change.
  var cachedListing: [ListedKey]? = nil
  /// Bumped by every change, so a listing built outside the lock is cached only if nothing changed meanwhile.
  private(set) var version: UInt64 = 0
  /// Added keys that carry destination restrictions (listings then depend on the connection).
  private(set) var restrictedCount = 0
  /// No later than the earliest expiry or vault timeout; nil when nothing expires. May be early (after a removal),
  /// never late: ``reap(now:)`` recomputes it.
  private(set) var nextDeadline: UInt64? = nil
  private var holes = 0

  /// Number of keys added by clients.
  var addedCount: Int { added.count - holes }

  /// Stamps ``vaultSince`` when the vault was opened or sealed since the last stamp; `now` is read only then.
  mutating func stampVault(now: () -> UInt64) {
    guard vaultStampedEpoch != vaultEpoch else { return }
    vaultStampedEpoch = vaultEpoch
    vaultSince = now()
  }

  /// Starts the time-in-state count at `now` (the keyring's creation).
  mutating func startVaultClock(at now: UInt64) {
    vaultStampedEpoch = vaultEpoch
    vaultSince = now
  }

  /// Records that something listings or lookups depend on changed.
  mutating func changed() {
    cachedListing = nil
    version &+= 1
  }

  private mutating func noteDeadline(_ t: UInt64?) {
    guard let t else { return }
    nextDeadline = min(nextDeadline ?? t, t)
  }

  // MARK: - Added keys

  /// The added key for `blob`.
  func addedKey(_ blob: [UInt8]) -> KeyIdentity? { addedSlot[blob].flatMap { added[$0] } }

  /// Adds `identity`, or replaces the key with the same blob in its place (as OpenSSH's ssh-agent does).
  mutating func putAdded(_ identity: KeyIdentity) {
    if let slot = addedSlot[identity.blob], let old = added[slot] {
      if !old.destinations.isEmpty { restrictedCount -= 1 }
      added[slot] = identity
    } else {
      addedSlot[identity.blob] = added.count
      added.append(identity)
    }
    if !identity.destinations.isEmpty { restrictedCount += 1 }
    noteDeadline(identity.expiry)
    changed()
  }

  /// Removes the added key for `blob`; false when there is none.
  mutating func removeAdded(_ blob: [UInt8]) -> Bool {
    guard let slot = addedSlot.removeValue(forKey: blob), let old = added[slot] else { return false }
    if !old.destinations.isEmpty { restrictedCount -= 1 }
    added[slot] = nil
    holes += 1
    if slot == added.count - 1 {
      added.removeLast()
      holes -= 1
    }
    // Compacting costs O(n) but runs only after n/2 removals since the last one, so O(1) per removal.
    if holes > 32 && holes * 2 > added.count { compact() }
    changed()
    return true
  }

  private mutating func compact() {
    var kept: [KeyIdentity?] = []
    kept.reserveCapacity(added.count - holes)
    for case let id? in added {
      addedSlot[id.blob] = kept.count
      kept.append(id)
    }
    added = kept
    holes = 0
  }

  /// Forgets every key, the vault's too; an open vault becomes sealed. Returns the PKCS #11 providers it dropped,
  /// for the caller to unload once the lock is released.
  @discardableResult
  mutating func removeAll() -> [PKCS11Provider] {
    let dropped = Array(providers.values)
    providers = [:]
    added = []
    addedSlot = [:]
    holes = 0
    restrictedCount = 0
    vaultKeys = []
    vaultIndex = [:]
    if case .open = vault { vault = .sealed }
    nextDeadline = nil
    changed()
    return dropped
  }

  // MARK: - The vault's keys

  /// Loads the open vault's keys; `index` is `keys` by blob, built before the lock was taken.
  mutating func openVault(_ keys: [KeyIdentity], index: [[UInt8]: Int], until: UInt64?) {
    vaultKeys = keys
    vaultIndex = index
    vault = .open(until: until)
    lockSealedVault = false
    noteDeadline(until)
    changed()
  }

  /// Drops the vault's private keys; the vault is sealed again.
  mutating func sealVault() {
    vaultKeys = []
    vaultIndex = [:]
    vault = .sealed
    changed()
  }

  /// Replaces the open vault's keys with those read again from the source; `index` is `keys` by blob, built
  /// before the lock was taken. The vault stays open, with the deadline it had.
  mutating func replaceVaultKeys(_ keys: [KeyIdentity], index: [[UInt8]: Int]) {
    vaultKeys = keys
    vaultIndex = index
    changed()
  }

  /// Removes the vault key for `blob` (until the vault is opened again); false when there is none.
  mutating func removeVaultKey(_ blob: [UInt8]) -> Bool {
    guard vaultIndex[blob] != nil else { return false }
    // A rare request; the vault's own size, not the keyring's: the positions after the key move down.
    vaultKeys.removeAll { $0.blob == blob }
    vaultIndex = Keyring.index(vaultKeys)
    changed()
    return true
  }

  /// Records the vault's public keys; `blobs` is their blob set and `fingerprints` their fingerprints in order,
  /// built before the lock was taken.
  mutating func setVaultPublic(
    _ keys: [AgentSourceKey], blobs: Set<[UInt8]>, fingerprints: [String], generation: UInt64?
  ) {
    vaultPublic = keys
    vaultPublicBlobs = blobs
    vaultPublicFingerprints = fingerprints
    vaultGeneration = generation
    changed()
  }

  // MARK: - Lookups

  /// What `blob` names for signing: an added key wins over the vault's copy.
  func target(_ blob: [UInt8]) -> SignTarget {
    if let id = addedKey(blob) { return .key(id) }
    return vaultTarget(blob)
  }

  /// What `blob` names among the vault's keys alone.
  func vaultTarget(_ blob: [UInt8]) -> SignTarget {
    switch vault {
    case .open: if let i = vaultIndex[blob] { return .key(vaultKeys[i]) }
    case .sealed: if vaultPublicBlobs.contains(blob) { return .sealedVaultKey }
    case .none: break
    }
    return .none
  }

  /// The values a listing is built from, taken under the lock and used after it is released (copy-on-write
  /// makes this O(1)).
  struct ListingSnapshot: Sendable {
    var added: [KeyIdentity?]
    var vaultKeys: [KeyIdentity]
    var vaultPublic: [AgentSourceKey]
    var vaultPublicFingerprints: [String]
    var vault: VaultState
    var locked: Bool
    var version: UInt64

    /// The listing, before destination filtering: added keys, then the vault's (its public halves while sealed,
    /// with lazy unlock), each blob once, hidden keys left out.
    func entries(lazyUnlock: Bool) -> [ListedKey] {
      if locked { return [] }
      var out: [ListedKey] = []
      out.reserveCapacity(added.count + vaultKeys.count + vaultPublic.count)
      var seen = Set<[UInt8]>()
      for case let id? in added where !id.hidden {
        out.append(ListedKey(identity: id.listed, key: id, fingerprint: id.fingerprint))
        seen.insert(id.blob)
      }
      switch vault {
      case .open:
        for id in vaultKeys where !id.hidden && !seen.contains(id.blob) {
          out.append(ListedKey(identity: id.listed, key: id, fingerprint: id.fingerprint))
        }
      case .sealed where lazyUnlock:
        for (i, k) in vaultPublic.enumerated() where !k.hidden && !seen.contains(k.blob) {
          let fingerprint =
            i < vaultPublicFingerprints.count ? vaultPublicFingerprints[i] : KeyFingerprint.sha256(ofBlob: k.blob)
          out.append(
            ListedKey(identity: AgentIdentity(keyBlob: k.blob, comment: k.comment), key: nil, fingerprint: fingerprint))
        }
      default: break
      }
      return out
    }
  }

  /// The values a listing is built from.
  var snapshot: ListingSnapshot {
    ListingSnapshot(
      added: added, vaultKeys: vaultKeys, vaultPublic: vaultPublic, vaultPublicFingerprints: vaultPublicFingerprints,
      vault: vault, locked: lock != nil, version: version)
  }

  // MARK: - Expiry

  /// Removes expired keys and seals a timed-out vault; true when something changed.
  ///
  /// This is the one O(n) step under the lock, and it runs only once a deadline has passed (not per request).
  mutating func reap(now: UInt64) -> Bool {
    guard let deadline = nextDeadline, deadline <= now else { return false }
    var removed = false
    var next: UInt64? = nil
    for case let id? in added {
      guard let expiry = id.expiry else { continue }
      if expiry <= now {
        removed = removeAdded(id.blob) || removed
      } else {
        next = min(next ?? expiry, expiry)
      }
    }
    if case .open(let until?) = vault {
      if until <= now {
        sealVault()
        removed = true
      } else {
        next = min(next ?? until, until)
      }
    }
    nextDeadline = next
    if removed { changed() }
    return removed
  }
}
