import SSHKeys
import SSHWire
import Synchronization

/// The agent's keys as values: keys added by clients and the vault's, their constraints and expiry, the lock.
///
/// It knows nothing of the wire: requests come in as values and answers go out as values (identities to list,
/// the key that signs, a typed refusal). Time comes from the injected clock, so expiry is tested by moving a clock.
/// All state sits behind one lock that is never held while signing, hashing a passphrase or building a listing.
final class Keyring: Sendable {
  /// Seconds for lifetimes and vault timeouts.
  let clock: any AgentClock
  /// Whether a sealed vault's public keys are listed (and open the vault on first use).
  let listSealed: Bool
  private let state: Mutex<KeyringState>

  /// Creates an empty keyring; with `hasVault` the vault starts sealed.
  init(clock: any AgentClock, hasVault: Bool, listSealed: Bool) {
    self.clock = clock
    self.listSealed = listSealed
    var initial = KeyringState()
    if hasVault { initial.vault = .sealed }
    initial.startVaultClock(at: clock.now())
    self.state = Mutex(initial)
  }

  /// Runs `body` on the state; for tests and for the few multi-step vault transitions.
  func withState<R, E: Error>(_ body: (inout KeyringState) throws(E) -> R) throws(E) -> R {
    try mutate(body)
  }

  /// Runs `body` on the state and stamps the time the vault was opened or sealed, if `body` did either (the clock
  /// is read only then), for `status@keyhold`.
  private func mutate<R, E: Error>(_ body: (inout KeyringState) throws(E) -> R) throws(E) -> R {
    try state.withLock { s throws(E) in
      defer { s.stampVault(now: { self.clock.now() }) }
      return try body(&s)
    }
  }

  // MARK: - Expiry and lock state

  /// Removes expired keys and seals a timed-out vault now; true when that sealed the vault.
  @discardableResult
  func reapExpired() -> Bool {
    let now = clock.now()
    return mutate { s in
      let wasOpen = s.vault.isOpen
      _ = s.reap(now: now)
      return wasOpen && !s.vault.isOpen
    }
  }

  /// Reaps what expired, then answers whether the agent is locked (one lock round trip per request).
  func reapAndCheckLocked() -> Bool {
    reapForRequest().locked
  }

  /// Reaps what expired; answers whether the agent is locked and whether the reaping sealed a timed-out vault.
  func reapForRequest() -> (locked: Bool, vaultTimedOut: Bool) {
    let now = clock.now()
    return mutate { s in
      let wasOpen = s.vault.isOpen
      _ = s.reap(now: now)
      return (s.lock != nil, wasOpen && !s.vault.isOpen)
    }
  }

  // MARK: - Listing

  /// The identities to list. `visible` decides for each destination-restricted key whether this connection may
  /// see it; nil: the connection has no session bindings, so every key is listed (and the cached listing serves).
  func list(visible: ((KeyIdentity) -> Bool)?) -> [AgentIdentity] {
    listed(visible: visible).entries.map(\.identity)
  }

  /// What listings are built from now: the keyring's version (bumped by every change, so it names a listing) and
  /// whether a connection with session bindings sees its own listing (some added key is destination-restricted).
  /// One lock round trip, so a framed listing cached for the version serves without building anything.
  func listingVersion() -> (version: UInt64, restricted: Bool) {
    state.withLock { s in (s.version, s.restrictedCount > 0) }
  }

  /// The entries to list, in the plain order (added keys, then the vault's), with the keyring version they were
  /// built at; `visible` as for ``list(visible:)``. Unfiltered entries are cached until the next change.
  func listed(visible: ((KeyIdentity) -> Bool)?) -> (version: UInt64, entries: [ListedKey]) {
    let filtering = visible != nil
    let (filter, cached, snapshot) = state.withLock { s in
      let filter = filtering && s.restrictedCount > 0
      if !filter, let cached = s.cachedListing {
        return (false, Optional((s.version, cached)), Optional<KeyringState.ListingSnapshot>.none)
      }
      return (filter, nil, s.snapshot)
    }
    if let cached { return cached }
    guard let snapshot else { return (0, []) }
    let entries = snapshot.entries(lazyUnlock: listSealed)
    if filter, let visible {
      return (
        snapshot.version,
        entries.filter { entry in
          guard let key = entry.key else { return true }
          return visible(key)
        }
      )
    }
    state.withLock { s in
      if s.version == snapshot.version { s.cachedListing = entries }
    }
    return (snapshot.version, entries)
  }

  // MARK: - Adding and removing

  /// Adds `identity`, or replaces the added key with the same blob (constraints included) in its place. `visible`
  /// is asked about the key being replaced: a connection may not replace a key it cannot see.
  func add(_ identity: KeyIdentity, visible: (KeyIdentity) -> Bool) throws(AgentFailure) {
    try state.withLock { s throws(AgentFailure) in
      if let old = s.addedKey(identity.blob), !visible(old) {
        throw .notPermitted("key not visible on this connection")
      }
      s.putAdded(identity)
    }
  }

  /// Removes the key named by `blob`: an added key (if `visible` lets this connection see it), else the open
  /// vault's copy (until the vault is opened again).
  func remove(_ blob: [UInt8], visible: (KeyIdentity) -> Bool) throws(AgentFailure) {
    try state.withLock { s throws(AgentFailure) in
      if let old = s.addedKey(blob) {
        guard visible(old) else { throw .notPermitted("key not visible on this connection") }
        _ = s.removeAdded(blob)
      } else if !s.removeVaultKey(blob) {
        throw .keyNotFound
      }
    }
  }

  /// Forgets every key, the vault's too, and seals an open vault.
  func removeAll() {
    // Ending a helper waits for it to exit: never under the lock.
    for provider in mutate({ $0.removeAll() }) { provider.unload() }
  }

  /// What `blob` names for signing.
  func target(_ blob: [UInt8]) -> SignTarget {
    state.withLock { $0.target(blob) }
  }

  // MARK: - Lock

  /// Locks the agent with `hash`; an open vault is sealed too, and remembered so unlock can reopen it.
  func lock(_ hash: LockHash) throws(AgentFailure) {
    try mutate { s throws(AgentFailure) in
      guard s.lock == nil else { throw .alreadyLocked }
      s.lock = hash
      if case .open = s.vault {
        s.sealVault()
        s.lockSealedVault = true
      }
      s.changed()
    }
  }

  /// What an unlock request meets: the lock hash, if locked, and the vault's state.
  func lockState() -> (lock: LockHash?, vault: VaultState) {
    state.withLock { ($0.lock, $0.vault) }
  }

  /// Unlocks the agent after the passphrase matched; true when the lock had sealed the vault.
  func unlocked() -> Bool {
    state.withLock { s in
      s.lock = nil
      defer { s.lockSealedVault = false }
      s.changed()
      return s.lockSealedVault
    }
  }

  // MARK: - The vault's keys

  /// The source generation the vault's public keys were read at.
  var vaultGeneration: UInt64? { state.withLock { $0.vaultGeneration } }

  /// The vault's state.
  var vaultState: VaultState { state.withLock { $0.vault } }

  /// The vault's state and how many times it was opened or sealed: a re-read started in one epoch is applied to
  /// the open vault only in the same epoch.
  var vaultEpoch: (state: VaultState, epoch: UInt64) { state.withLock { ($0.vault, $0.vaultEpoch) } }

  /// Records the vault's public keys, read at source generation `generation`.
  func setVaultPublic(_ keys: [AgentSourceKey], generation: UInt64?) {
    let blobs = Set(keys.map(\.blob))
    let fingerprints = Self.fingerprints(keys)
    state.withLock { $0.setVaultPublic(keys, blobs: blobs, fingerprints: fingerprints, generation: generation) }
  }

  /// The fingerprints of the vault's public keys, in order: taken when they enter the keyring, never per listing.
  static func fingerprints(_ keys: [AgentSourceKey]) -> [String] {
    keys.map { KeyFingerprint.sha256(ofBlob: $0.blob) }
  }

  /// Loads the opened vault's keys (and, when non-empty, its fresh public keys, read at source generation
  /// `generation`; nil keeps the generation recorded before) until `until`. `fingerprints`, when given, are those
  /// of `publics` already taken (``fingerprints(_:)``).
  func openVault(
    _ keys: [KeyIdentity], publics: [AgentSourceKey], fingerprints: [String]? = nil, until: UInt64?,
    generation: UInt64? = nil
  ) {
    let index = Self.index(keys)
    let blobs = Set(publics.map(\.blob))
    let fingerprints = fingerprints ?? Self.fingerprints(publics)
    mutate { s in
      if !publics.isEmpty {
        s.setVaultPublic(
          publics, blobs: blobs, fingerprints: fingerprints, generation: generation ?? s.vaultGeneration)
      }
      s.openVault(keys, index: index, until: until)
    }
  }

  /// Blob → position of its first key in `keys`.
  static func index(_ keys: [KeyIdentity]) -> [[UInt8]: Int] {
    var index: [[UInt8]: Int] = [:]
    index.reserveCapacity(keys.count)
    for (i, k) in keys.enumerated() where index[k.blob] == nil { index[k.blob] = i }
    return index
  }

  /// What reading the open vault's private keys again gave.
  enum VaultReread: Sendable {
    /// The keys as they are now.
    case keys([KeyIdentity])
    /// What the unlock kept no longer opens the vault (it was made anew): seal it.
    case unreadable
    /// The source keeps nothing open; the loaded keys are matched against the fresh public keys instead.
    case notKept
  }

  /// Records the vault's public keys read again at `generation` and, when the vault is still open in `epoch` (see
  /// ``vaultEpoch``), applies `reread` to it. Returns the open vault's key count after, or nil when no open vault
  /// took the re-read (it was sealed meanwhile, or `reread` sealed it).
  func applyReread(
    _ publics: [AgentSourceKey], generation: UInt64?, epoch: UInt64, reread: VaultReread
  ) -> Int? {
    let blobs = Set(publics.map(\.blob))
    let hidden = Set(publics.filter(\.hidden).map(\.blob))
    let fingerprints = Self.fingerprints(publics)
    var fresh: ([KeyIdentity], [[UInt8]: Int])? = nil
    if case .keys(let keys) = reread { fresh = (keys, Self.index(keys)) }
    return mutate { s -> Int? in
      s.setVaultPublic(publics, blobs: blobs, fingerprints: fingerprints, generation: generation)
      guard s.vault.isOpen && s.vaultEpoch == epoch else { return nil }
      switch reread {
      case .unreadable:
        s.sealVault()
        return nil
      case .keys:
        guard let (keys, index) = fresh else { return nil }
        s.replaceVaultKeys(keys, index: index)
      case .notKept:
        // Vault-sized work under the lock, but only after the vault file changed: drop keys no longer in it and
        // take the names and hiding it has now.
        let names = Dictionary(publics.map { ($0.blob, $0.comment) }, uniquingKeysWith: { a, _ in a })
        let kept: [KeyIdentity] = s.vaultKeys.compactMap { id in
          guard let name = names[id.blob] else { return nil }
          let hide = hidden.contains(id.blob)
          if name == id.comment && hide == id.hidden { return id }
          var key = id.key
          if case .privateKey(let k) = id.key { key = .privateKey(k.withComment(name)) }
          return KeyIdentity(blob: id.blob, comment: name, key: key, hidden: hide, fingerprint: id.fingerprint)
        }
        s.replaceVaultKeys(kept, index: Self.index(kept))
      }
      return s.vaultKeys.count
    }
  }

  /// Seals the vault: its private keys are dropped. Fails when the agent has no vault.
  func sealVault() throws(AgentFailure) {
    try mutate { s throws(AgentFailure) in
      guard s.vault != .none else { throw .noVault }
      s.sealVault()
    }
  }

  /// The agent's state as `status@keyhold` reports it; the caller fills in what the keyring does not know
  /// (socket path, process id, why sealed keys are not listed).
  func agentStatus() -> AgentStatus {
    let now = clock.now()
    let (snapshot, since, publicCount) = state.withLock { s in (s.snapshot, s.vaultSince, s.vaultPublic.count) }
    // Built outside the lock from the copy-on-write snapshot: a listing's vault entries are those after the
    // visible added keys, which come first and are never shadowed.
    let listed = snapshot.entries(lazyUnlock: listSealed).count
    var visibleAdded = 0
    for case let id? in snapshot.added where !id.hidden { visibleAdded += 1 }
    var status = AgentStatus(
      locked: snapshot.locked, vault: .none, vaultSeconds: now >= since ? now - since : 0, secondsLeft: 0,
      addedKeys: UInt32(clamping: snapshot.added.lazy.compactMap { $0 }.count), vaultKeys: 0,
      listedVaultKeys: UInt32(clamping: max(0, listed - visibleAdded)), socketPath: "", pid: 0, sealedNote: "")
    switch snapshot.vault {
    case .none: break
    case .sealed:
      status.vault = .sealed
      status.vaultKeys = UInt32(clamping: publicCount)
    case .open(let until):
      status.vault = .open
      status.vaultKeys = UInt32(clamping: snapshot.vaultKeys.count)
      status.secondsLeft = until.map { $0 > now ? UInt32(clamping: $0 - now) : 0 } ?? 0
    }
    return status
  }

  /// The vault's state as `vault-status@keyhold` reports it.
  func vaultStatus() -> AgentVaultStatus {
    let now = clock.now()
    return state.withLock { s in
      let locked = s.lock != nil
      switch s.vault {
      case .none: return AgentVaultStatus(state: .none, keyCount: 0, secondsLeft: 0, agentLocked: locked)
      case .sealed:
        return AgentVaultStatus(
          state: .sealed, keyCount: UInt32(s.vaultPublic.count), secondsLeft: 0, agentLocked: locked)
      case .open(let until):
        let left = until.map { $0 > now ? UInt32(clamping: $0 - now) : 0 } ?? 0
        return AgentVaultStatus(
          state: .open, keyCount: UInt32(s.vaultKeys.count), secondsLeft: left, agentLocked: locked)
      }
    }
  }
}
