import Dispatch
import KeyholdCrypto
import SSHKeys
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The vault's life inside the agent: sealed (public halves listed) or open (private keys loaded), opened by a
/// passphrase from UNLOCK, `vault-unlock@keyhold` or a lazy-unlock prompt, sealed by `vault-lock@keyhold`, a
/// timeout or the agent lock. Its keys live in the ``Keyring``; this type owns the source and the prompting, and
/// follows the source: a change to it (a key imported, removed, retired or renamed by another process, a vault
/// made after the agent started) is read at the next listing or signature.
final class AgentVault: Sendable {
  /// Where the vault's keys come from; nil: the agent has no vault.
  let source: (any AgentKeySource)?
  private let keyring: Keyring
  private let passphrases: PassphraseGuard
  private let log: AgentLogger
  /// At most how often listings and signatures look at the source's generation, in nanoseconds (0: every time).
  private let checkInterval: UInt64
  private let scheduleReap: @Sendable (_ afterSeconds: UInt32, _ then: @escaping @Sendable () -> Void) -> Void
  /// Serialises openings (explicit and lazy) so one passphrase prompt serves every waiting request.
  private let gate = Mutex<Void>(())
  /// Serialises re-reads after the source changed, so concurrent requests read one change once.
  private let rereadGate = Mutex<Void>(())
  /// When listings and signatures last looked at the source (coarse monotonic nanoseconds; 0: never).
  private let lastCheck = Atomic<UInt64>(0)
  /// Why sealed keys are not listed (no prompt can be shown), or nil; said once, when the source first shows keys.
  private let promptUnavailable: String?
  private let toldWhyUnlisted = Atomic<Bool>(false)
  /// Orders openings against seals: whether an opening is in flight (it holds ``gate``) and whether a seal arrived
  /// since it began. A seal cancels an opening in flight (the seal is the later request), and an opening commits
  /// its keys to the keyring and keeps the source's session only under this lock, so the vault is never left open
  /// without the session the source keeps for re-reads, nor sealed with one.
  private let ordering = Mutex<(inFlight: Bool, cancelled: Bool)>((false, false))

  init(
    source: (any AgentKeySource)?, keyring: Keyring, passphrases: PassphraseGuard, log: AgentLogger,
    checkInterval: UInt64, promptUnavailable: String? = nil,
    scheduleReap: @escaping @Sendable (_ afterSeconds: UInt32, _ then: @escaping @Sendable () -> Void) -> Void
  ) {
    self.source = source
    self.keyring = keyring
    self.passphrases = passphrases
    self.log = log
    self.checkInterval = checkInterval
    self.promptUnavailable = promptUnavailable
    self.scheduleReap = scheduleReap
  }

  /// Reads the vault's public keys into the keyring and, while it is open, its private keys again (through what
  /// the source kept open at unlock, so no prompt): keys gone from the vault stop signing, renamed ones are listed
  /// under their new name, new ones are listed and sign. A source that can no longer be read open seals the vault.
  func refreshPublicKeys() {
    guard let source else { return }
    let generation = source.generation()
    let (state, epoch) = keyring.vaultEpoch
    var keys: [AgentSourceKey]
    do { keys = try source.publicKeys() } catch {
      log(.info, "vault public keys unavailable: \(error)")
      return
    }
    noteSealedKeys(keys.count)
    var reread = Keyring.VaultReread.notKept
    var failure: (any Error)? = nil
    if state.isOpen {
      do {
        if let reloaded = try source.reload() {
          let shared = Self.identities(reloaded, sharing: keys)
          keys = shared.publics
          reread = .keys(shared.keys)
        }
      } catch {
        failure = error
        reread = .unreadable
      }
    }
    let count = keyring.applyReread(keys, generation: generation, epoch: epoch, reread: reread)
    // A re-read costs what an opening costs, for the public half alone when the vault is sealed.
    defer { Self.returnFreedMemory() }
    if let failure {
      closeSourceIfSealed()
      log(.info, "vault sealed: it changed and cannot be read with the key it was opened with: \(failure)")
    } else if let count {
      log(.info, "vault changed: \(count) keys")
    }
  }

  /// Re-reads the vault when the source changed since it was read. `throttled` (signatures) looks
  /// at the source at most once per check interval: a stat(2) costs microseconds on a loaded machine, a coarse
  /// clock read tens of nanoseconds.
  func refreshIfChanged(throttled: Bool = false) {
    guard let source else { return }
    if throttled && checkInterval > 0 {
      var ts = timespec()
      clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
      let now = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
      let last = lastCheck.load(ordering: .relaxed)
      if last != 0 && now &- last < checkInterval { return }
      lastCheck.store(now, ordering: .relaxed)
    }
    guard keyring.vaultGeneration != source.generation() else { return }
    rereadGate.withLock { _ in
      // Another request may have read the same change while this one waited.
      if keyring.vaultGeneration != source.generation() { refreshPublicKeys() }
    }
  }

  /// Says once why sealed keys are not listed, when a vault with keys is first seen: an agent started before the
  /// vault exists (`make run` on a fresh machine) has nothing sealed to leave out until `keyhold init` and an import.
  private func noteSealedKeys(_ count: Int) {
    guard count > 0, let why = promptUnavailable, !toldWhyUnlisted.exchange(true, ordering: .relaxed) else { return }
    log(.info, "sealed vault keys are not listed: \(why)")
  }

  /// Lets the source forget what an unlock kept open (the vault's data key) once the vault is no longer open. While
  /// an opening is in flight the source's session belongs to it (a timeout of an earlier opening must not take it):
  /// the opening itself keeps or forgets it when it ends.
  func closeSourceIfSealed() {
    guard let source else { return }
    ordering.withLock { o in
      guard !o.inFlight, !keyring.vaultState.isOpen else { return }
      source.close()
    }
  }

  /// Runs a seal (`vault-lock@keyhold`, the agent lock, forgetting all keys): an opening in flight when it starts
  /// is cancelled, then `body` changes the keyring and the source forgets its key. Whichever of the opening's
  /// commit and the seal takes ``ordering`` second decides, so the two always end in the same state: open with the
  /// session, or sealed without it.
  func sealing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    ordering.withLock { o in if o.inFlight { o.cancelled = true } }
    defer { closeSourceIfSealed() }
    return try body()
  }

  /// Marks the opening that now holds ``gate`` as in flight.
  private func beginOpening() {
    ordering.withLock { $0 = (true, false) }
  }

  /// Ends an opening that did not commit (wrong passphrase, cancelled prompt): what the source may have kept is
  /// forgotten unless the vault is open.
  private func endOpeningUncommitted() {
    ordering.withLock { o in
      o = (false, false)
      if !keyring.vaultState.isOpen { source?.close() }
    }
  }

  /// The keyring entries for keys opened from the vault, with `publics` made to share their storage: a key found
  /// among the public keys takes its hiding and fingerprint from there, and the public entry takes the key's blob,
  /// so an open vault holds each public key blob and fingerprint once, not twice (`keyhold-bench scale`).
  static func identities(_ keys: [PrivateKey], sharing publics: [AgentSourceKey]) -> (
    keys: [KeyIdentity], publics: [AgentSourceKey], fingerprints: [String]
  ) {
    var publics = publics
    let fingerprints = Keyring.fingerprints(publics)
    let hidden = Set(publics.lazy.filter(\.hidden).map(\.blob))
    var slot: [[UInt8]: Int] = [:]
    slot.reserveCapacity(publics.count)
    for (i, k) in publics.enumerated() where slot[k.blob] == nil { slot[k.blob] = i }
    let identities = keys.map { key -> KeyIdentity in
      let blob = key.publicKey.blob
      let hide = hidden.contains(blob)
      guard let i = slot[blob] else { return KeyIdentity(blob: blob, comment: key.comment, key: key, hidden: hide) }
      publics[i].blob = blob
      // Both are the plain key's SHA256 fingerprint (``KeyFingerprint``), a certificate's being its key's.
      return KeyIdentity(blob: blob, comment: key.comment, key: key, hidden: hide, fingerprint: fingerprints[i])
    }
    return (identities, publics, fingerprints)
  }

  /// Opens the vault with `passphrase`; a non-zero `timeout` seals it again that many seconds later.
  func open(_ passphrase: SecureBytes, timeout: UInt32?) throws(AgentFailure) {
    passphrases.backOff()  // before the gate: a guesser's wait never holds up another opening
    defer { Self.returnFreedMemory() }
    try gate.withLock { _ throws(AgentFailure) in
      beginOpening()
      do throws(AgentFailure) { try openHoldingGate(passphrase, timeout: timeout) } catch {
        endOpeningUncommitted()
        throw error
      }
    }
  }

  /// Opening a vault reads the file, decrypts its private half and parses every key: short-lived buffers several
  /// times the size of what stays (about 5 KiB per key for a large vault), which glibc keeps for reuse once freed.
  /// Handing them back (malloc_trim(3), every arena) once the opening's temporaries are gone keeps the agent's
  /// footprint at what it holds. A second trim a second later, when the request has been answered, hands back
  /// about 1 MiB more for a 10,000-key vault (`keyhold-bench scale`: 0.1 KiB per key). Why the first leaves those
  /// pages resident is not known: malloc_info shows the same free chunks at both times.
  private static func returnFreedMemory() {
    _ = mallocTrim?(0)
    DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(1)) { _ = mallocTrim?(0) }
    // KEYHOLD_MALLOC_INFO=FILE appends malloc_info(3)'s per-arena figures after each opening, to see what the
    // heap keeps (live or fragmented) when tuning the agent's malloc settings (`keyhold-bench scale`).
    guard let path = mallocInfoPath, let info = mallocInfo, let file = fopen(path, "a") else { return }
    _ = info(0, file)
    fclose(file)
  }

  private static let mallocInfoPath: String? = getenv("KEYHOLD_MALLOC_INFO").map { String(cString: $0) }

  private static let mallocInfo: (@convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32)? = {
    guard let symbol = dlsym(nil, "malloc_info") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32).self)
  }()

  /// glibc's malloc_trim, looked up once: <malloc.h> is not part of the Glibc module Swift imports.
  private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
  }()

  private func openHoldingGate(_ passphrase: SecureBytes, timeout: UInt32?) throws(AgentFailure) {
    guard let source else { throw .noVault }
    let keys: [PrivateKey]
    keys = try passphrases.check { () throws(AgentFailure) -> [PrivateKey] in
      do { return try source.unlock(passphrase: passphrase) } catch { throw .vault("\(error)") }
    }
    let generation = source.generation()
    let shared = Self.identities(keys, sharing: (try? source.publicKeys()) ?? [])
    let (identities, publics) = (shared.keys, shared.publics)
    let seconds = timeout.flatMap { $0 == 0 ? nil : $0 }
    let until = seconds.map { keyring.clock.now() + UInt64($0) }
    let committed = ordering.withLock { o -> Bool in
      defer { o = (false, false) }
      guard !o.cancelled else { return false }
      keyring.openVault(
        identities, publics: publics, fingerprints: shared.fingerprints, until: until, generation: generation)
      return true
    }
    guard committed else { throw .vault("the vault was sealed while it was being opened") }
    noteSealedKeys(publics.count)
    log(.info, "vault opened: \(identities.count) keys" + (seconds.map { " for \($0) s" } ?? ""))
    if let seconds { scheduleReap(seconds) { [weak self] in self?.closeSourceIfSealed() } }
  }

  /// Seals the vault: its private keys are dropped from the keyring, and the source forgets its key.
  func seal() throws(AgentFailure) {
    try sealing { () throws(AgentFailure) in try keyring.sealVault() }
    log(.info, "vault sealed")
  }

  /// Lazy unlock: a sign request for a sealed vault key asks for the passphrase, once for all waiting requests.
  func lazyUnlock(enabled: Bool, ask: (@Sendable (String) -> SecureBytes?)?) throws(AgentFailure) {
    guard enabled, let ask else { throw .vault("vault is sealed") }
    defer { Self.returnFreedMemory() }
    try gate.withLock { _ throws(AgentFailure) in
      guard keyring.vaultState == .sealed else { return }  // another request opened it while this one waited
      beginOpening()  // before the prompt: a seal while it is shown cancels this opening
      do throws(AgentFailure) {
        guard let passphrase = ask("Enter passphrase to unlock the keyhold vault: ") else {
          throw AgentFailure.vault("passphrase entry cancelled")
        }
        passphrases.backOff()
        try openHoldingGate(passphrase, timeout: nil)
      } catch {
        endOpeningUncommitted()
        throw error
      }
    }
  }
}
