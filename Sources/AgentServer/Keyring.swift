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
    self.state = Mutex(initial)
  }

  /// Runs `body` on the state; for tests and for the few multi-step vault transitions.
  func withState<R, E: Error>(_ body: (inout KeyringState) throws(E) -> R) throws(E) -> R {
    try state.withLock { s throws(E) in try body(&s) }
  }

  // MARK: - Expiry and lock state

  /// Removes expired keys and seals a timed-out vault now.
  func reapExpired() {
    let now = clock.now()
    state.withLock { s in _ = s.reap(now: now) }
  }

  /// Reaps what expired, then answers whether the agent is locked (one lock round trip per request).
  func reapAndCheckLocked() -> Bool {
    let now = clock.now()
    return state.withLock { s in
      _ = s.reap(now: now)
      return s.lock != nil
    }
  }

  // MARK: - Listing

  /// The identities to list. `visible` decides for each destination-restricted key whether this connection may
  /// see it; nil: the connection has no session bindings, so every key is listed (and the cached listing serves).
  func list(visible: ((KeyIdentity) -> Bool)?) -> [AgentIdentity] {
    let filtering = visible != nil
    let (filter, cached, snapshot) = state.withLock { s in
      let filter = filtering && s.restrictedCount > 0
      if !filter, let cached = s.cachedListing {
        return (false, Optional(cached), Optional<KeyringState.ListingSnapshot>.none)
      }
      return (filter, nil, s.snapshot)
    }
    if let cached { return cached }
    guard let snapshot else { return [] }
    let entries = snapshot.entries(lazyUnlock: listSealed)
    if filter, let visible {
      return entries.compactMap { entry in
        guard let key = entry.key else { return entry.identity }
        return visible(key) ? entry.identity : nil
      }
    }
    let listing = entries.map(\.identity)
    state.withLock { s in
      if s.version == snapshot.version { s.cachedListing = listing }
    }
    return listing
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
    for provider in state.withLock({ $0.removeAll() }) { provider.unload() }
  }

  /// What `blob` names for signing.
  func target(_ blob: [UInt8]) -> SignTarget {
    state.withLock { $0.target(blob) }
  }

  // MARK: - Lock

  /// Locks the agent with `hash`; an open vault is sealed too, and remembered so unlock can reopen it.
  func lock(_ hash: LockHash) throws(AgentFailure) {
    try state.withLock { s throws(AgentFailure) in
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

  /// Records the vault's public keys, read at source generation `generation`.
  func setVaultPublic(_ keys: [AgentSourceKey], generation: UInt64?) {
    let blobs = Set(keys.map(\.blob))
    state.withLock { $0.setVaultPublic(keys, blobs: blobs, generation: generation) }
  }

  /// Loads the opened vault's keys (and, when non-empty, its fresh public keys) until `until`.
  func openVault(_ keys: [KeyIdentity], publics: [AgentSourceKey], until: UInt64?) {
    var index: [[UInt8]: KeyIdentity] = [:]
    index.reserveCapacity(keys.count)
    for k in keys where index[k.blob] == nil { index[k.blob] = k }
    let blobs = Set(publics.map(\.blob))
    state.withLock { s in
      if !publics.isEmpty { s.setVaultPublic(publics, blobs: blobs, generation: s.vaultGeneration) }
      s.openVault(keys, index: index, until: until)
    }
  }

  /// Seals the vault: its private keys are dropped. Fails when the agent has no vault.
  func sealVault() throws(AgentFailure) {
    try state.withLock { s throws(AgentFailure) in
      guard s.vault != .none else { throw .noVault }
      s.sealVault()
    }
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
