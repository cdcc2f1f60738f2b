import Dispatch
import SSHKeys
import SSHWire
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The ssh-agent protocol engine: decodes a request, asks the keyring, encodes the reply.
///
/// It knows nothing of sockets (see ``AgentListener``); it is safe to call from many connection threads at once.
/// Shared state sits behind one lock that is never held while signing, prompting or deriving a key, so a slow
/// request (an RSA-4096 signature, a confirmation prompt, a vault passphrase prompt) never stalls other clients.
public final class Agent: Sendable {
  let configuration: AgentConfiguration
  let source: (any AgentKeySource)?
  let verifyHostSignature: @Sendable (_ hostKey: [UInt8], _ signature: [UInt8], _ data: [UInt8]) -> Bool
  let state: Mutex<KeyringState>
  /// Serialises vault openings (explicit and lazy) so one passphrase prompt serves every waiting request.
  let vaultGate = Mutex<Void>(())
  /// Serialises re-reads of the vault after it changed, so concurrent requests read a changed file once.
  let refreshGate = Mutex<Void>(())
  /// When listings and signatures last checked the vault file (coarse monotonic nanoseconds).
  let lastVaultCheck = Atomic<UInt64>(0)

  /// Creates an agent. With a `source` the agent starts with that vault sealed; without one it behaves exactly
  /// like ssh-agent. `verifyHostSignature` checks session-bind signatures (defaults to SSHKeys' verification).
  public init(
    configuration: AgentConfiguration, source: (any AgentKeySource)? = nil,
    verifyHostSignature: (@Sendable ([UInt8], [UInt8], [UInt8]) -> Bool)? = nil
  ) {
    self.configuration = configuration
    self.source = source
    self.verifyHostSignature = verifyHostSignature ?? HostKeySignature.verify
    var initial = KeyringState()
    if source != nil { initial.vault = .sealed }
    self.state = Mutex(initial)
    if source != nil, let why = configuration.promptUnavailable {
      log(.info, "sealed vault keys are not listed: \(why)")
    }
    refreshVaultPublicKeys()
  }

  // MARK: - The one entry point

  /// Handles one frame body and returns the framed reply. Every refusal becomes SSH_AGENT_FAILURE (or
  /// SSH_AGENT_EXTENSION_FAILURE for a failed known extension) here and nowhere else.
  public func process(_ body: [UInt8], connection: inout AgentConnectionState) -> [UInt8] {
    do throws(AgentFailure) {
      let request: AgentRequest
      do { request = try AgentRequest.decode(body) } catch { throw AgentFailure.malformed(error) }
      log(.debug, "connection \(connection.number): \(request)")
      return try dispatch(request, connection: &connection)
    } catch {
      let name = AgentMessageType.name(of: body.first ?? 0)
      log(.info, "connection \(connection.number): \(name) refused: \(error)")
      return error.reply
    }
  }

  func dispatch(_ request: AgentRequest, connection: inout AgentConnectionState) throws(AgentFailure) -> [UInt8] {
    let (locked, timedOut) = state.withLock { s in
      let wasOpen = s.vault.isOpen
      if s.reap(now: configuration.clock.now()) {
        s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
      }
      return (s.lock != nil, wasOpen && !s.vault.isOpen)
    }
    if timedOut { closeSourceIfSealed() }
    // A locked agent lists nothing and refuses everything but unlock and session-bind (PROTOCOL.agent; ARCHITECTURE.md,
    // Agent), and `status@keyhold`, which says that it is locked.
    if locked {
      switch request {
      case .unlock, .extension(.sessionBind), .extension(.other(AgentStatus.extensionName, _)): break
      case .requestIdentities: return AgentReplies.noIdentities
      default: throw .locked
      }
    }
    switch request {
    case .requestIdentities:
      refreshVaultIfChanged(throttled: true)
      return list(connection)
    case .signRequest(let r):
      // The vault file is checked before listings and signatures (one stat, at most every
      // `vaultCheckInterval`): a key removed, retired or renamed by another process stops signing, or signs under
      // its new name, within that interval.
      refreshVaultIfChanged(throttled: true)
      return try sign(r, connection)
    case .addIdentity(let a), .addIDConstrained(let a): return try add(a, connection)
    case .removeIdentity(let blob): return try remove(blob, connection)
    case .removeAllIdentities, .removeAllRSAIdentities: return removeAll()
    case .addSmartcardKey, .addSmartcardKeyConstrained, .removeSmartcardKey:
      throw .unsupported("smartcard keys")
    case .lock(let p): return try lock(p)
    case .unlock(let p): return try unlock(p)
    case .extension(let e): return try handleExtension(e, &connection)
    case .unknown(let t, _): throw .unsupported("message \(AgentMessageType.name(of: t))")
    }
  }

  // MARK: - Listing

  func list(_ connection: AgentConnectionState) -> [UInt8] {
    let now = configuration.clock.now()
    return state.withLock { s in
      let local = connection.bindings.isEmpty && !connection.bindAttempted
      if !s.anyDestinations || local {
        if let cached = s.cachedAnswer { return cached }
        let answer = Self.encodeAnswer(s.listed(lazyUnlock: configuration.lazyUnlock))
        s.cachedAnswer = answer
        return answer
      }
      let visible = s.listed(lazyUnlock: configuration.lazyUnlock).filter { entry in
        guard let id = entry.identity else { return true }
        return DestinationPolicy.permitted(id, on: connection, user: nil, now: now)
      }
      return Self.encodeAnswer(visible)
    }
  }

  static func encodeAnswer(_ entries: [(blob: [UInt8], comment: String, identity: KeyIdentity?)]) -> [UInt8] {
    var size = 9
    for e in entries { size += 8 + e.blob.count + e.comment.utf8.count }
    var w = SSHWriter(capacity: size)
    w.writeUInt32(UInt32(size - 4))
    w.writeByte(AgentMessageType.identitiesAnswer.rawValue)
    w.writeUInt32(UInt32(entries.count))
    for e in entries {
      w.writeString(e.blob)
      w.writeString(e.comment)
    }
    return w.bytes
  }

  // MARK: - Signing

  func sign(_ request: AgentSignRequest, _ connection: AgentConnectionState) throws(AgentFailure) -> [UInt8] {
    var target = state.withLock { $0.target(request.keyBlob) }
    if case .sealedVaultKey = target {
      try lazyUnlock()
      target = state.withLock { $0.target(request.keyBlob) }
    }
    guard case .key(let identity) = target else { throw .keyNotFound }
    var note: String? = nil
    if !identity.destinations.isEmpty { note = try checkDestination(identity, request, connection) }
    if identity.confirm {
      var prompt = "Allow use of key \(identity.comment)?\nKey fingerprint \(fingerprint(identity.key.plainPublicKey))."
      if let note { prompt += "\n" + note }
      guard let confirm = configuration.confirm, confirm(prompt) else { throw .refusedByUser }
    }
    let signature: [UInt8]
    do { signature = try identity.key.sign(request.data, flags: SignFlags(rawValue: request.flags)) } catch {
      throw .badKey(error)
    }
    var w = SSHWriter(capacity: signature.count + 9)
    w.writeUInt32(UInt32(signature.count + 5))
    w.writeByte(AgentMessageType.signResponse.rawValue)
    w.writeString(signature)
    return w.bytes
  }

  /// PROTOCOL.agent §2: a restricted key signs only a user-authentication request for the session most recently
  /// bound on this connection, to a host its rules allow.
  func checkDestination(_ id: KeyIdentity, _ request: AgentSignRequest, _ connection: AgentConnectionState)
    throws(AgentFailure) -> String
  {
    guard let last = connection.bindings.last else { throw .notPermitted("connection is not bound to a session") }
    guard let auth = UserAuthRequest.parse(request.data), auth.keyBlob == request.keyBlob else {
      throw .notPermitted("data to sign is not a user authentication request")
    }
    guard DestinationPolicy.permitted(id, on: connection, user: auth.user, now: configuration.clock.now()) else {
      throw .notPermitted("host not allowed for this key")
    }
    guard auth.sessionID == last.sessionID else { throw .notPermitted("session id is not the last bound one") }
    if connection.bindings.count > 1 && auth.hostKey == nil {
      throw .notPermitted("forwarded connection without host key in the request")
    }
    if let hostKey = auth.hostKey, hostKey != last.hostKey {
      throw .notPermitted("host key in the request differs from the bound one")
    }
    return "public key authentication request for user \"\(auth.user)\" to listed host"
  }

  func fingerprint(_ key: PublicKey) -> String {
    configuration.fingerprintHash == .md5 ? key.md5Fingerprint : key.sha256Fingerprint
  }

  // MARK: - Adding and removing

  func add(_ request: AgentAddIdentity, _ connection: AgentConnectionState) throws(AgentFailure) -> [UInt8] {
    var lifetime: UInt32? = nil
    var confirm = false
    var destinations: [DestinationConstraint] = []
    for c in request.constraints {
      switch c {
      case .lifetime(let s): lifetime = s
      case .confirm: confirm = true
      case .restrictDestination(let d): destinations = d
      case .maxSignatures, .associatedCertificates, .securityKeyProvider: throw .unsupported("constraint \(c.name)")
      }
    }
    // The key stays raw bytes through SSHWire; SSHKeys parses it once, certificate form included.
    var reader = SSHReader(request.key.bytes)
    let parsed: PrivateKey
    do { parsed = try PrivateKey.decodeWire(&reader) } catch { throw .badKey(error) }
    guard reader.isAtEnd else { throw .malformed(.malformed(.trailingBytes(reader.remaining))) }
    let key = parsed.withComment(request.comment)
    let blob = key.publicKey.blob
    let now = configuration.clock.now()
    let seconds = lifetime ?? configuration.defaultLifetime
    let identity = KeyIdentity(
      blob: blob, comment: request.comment, key: key, expiry: seconds.map { now + UInt64($0) }, confirm: confirm,
      destinations: destinations)
    try state.withLock { s throws(AgentFailure) in
      if let i = s.added.firstIndex(where: { $0.blob == blob }) {
        guard DestinationPolicy.permitted(s.added[i], on: connection, user: nil, now: now) else {
          throw .notPermitted("key not visible on this connection")
        }
        s.added[i] = identity  // re-adding replaces constraints (as OpenSSH's ssh-agent does), keeping the key's place
      } else {
        s.added.append(identity)
      }
      s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
    }
    log(
      .debug,
      "added \(key.algorithm.rawValue) \(fingerprint(key.plainPublicKey)) \"\(request.comment)\" life \(seconds ?? 0) confirm \(confirm) destinations \(destinations.count)"
    )
    if let seconds { scheduleReap(after: seconds) }
    return AgentReplies.success
  }

  func remove(_ blob: [UInt8], _ connection: AgentConnectionState) throws(AgentFailure) -> [UInt8] {
    let now = configuration.clock.now()
    try state.withLock { s throws(AgentFailure) in
      if let i = s.added.firstIndex(where: { $0.blob == blob }) {
        guard DestinationPolicy.permitted(s.added[i], on: connection, user: nil, now: now) else {
          throw .notPermitted("key not visible on this connection")
        }
        s.added.remove(at: i)
      } else if let i = s.vaultKeys.firstIndex(where: { $0.blob == blob }) {
        s.vaultKeys.remove(at: i)
      } else {
        throw .keyNotFound
      }
      s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
    }
    return AgentReplies.success
  }

  func removeAll() -> [UInt8] {
    state.withLock { s in
      s.added = []
      s.vaultKeys = []
      if case .open = s.vault { s.vault = .sealed }
      s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
    }
    closeSourceIfSealed()
    return AgentReplies.success
  }

  // MARK: - Lock and unlock

  /// Copies a passphrase from a request into guarded memory; running out of it is a FAILURE, never a trap.
  static func guarded(_ passphrase: [UInt8]) throws(AgentFailure) -> SecureBytes {
    do { return try SecureBytes.allocate(copying: passphrase) } catch { throw .unsupported("out of secure memory") }
  }

  func lock(_ passphrase: [UInt8]) throws(AgentFailure) -> [UInt8] {
    guard !passphrase.isEmpty else { throw .emptyPassphrase }
    let secret = try Self.guarded(passphrase)
    let hash: LockHash
    do { hash = try LockHash(passphrase: secret, parameters: configuration.lockKDF) } catch {
      throw .unsupported("lock hash: \(error)")
    }
    try state.withLock { s throws(AgentFailure) in
      guard s.lock == nil else { throw .alreadyLocked }
      s.lock = hash
      // `ssh-add -x` also seals the vault (keyhold-agent(1)).
      if case .open = s.vault {
        s.vaultKeys = []
        s.vault = .sealed
        s.lockSealedVault = true
      }
      s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
    }
    closeSourceIfSealed()
    log(.info, "agent locked")
    return AgentReplies.success
  }

  func unlock(_ passphrase: [UInt8]) throws(AgentFailure) -> [UInt8] {
    guard !passphrase.isEmpty else { throw .emptyPassphrase }
    let secret = try Self.guarded(passphrase)
    let (current, vault) = state.withLock { ($0.lock, $0.vault) }
    if let current {
      guard current.matches(secret) else {
        // Back off 0.1 s more per failure, up to 10 s, as OpenSSH; only this connection waits.
        let failures = state.withLock { s in
          s.failedUnlocks = min(s.failedUnlocks + 1, 100)
          return s.failedUnlocks
        }
        usleep(100_000 * failures)
        throw .wrongPassphrase
      }
      let reopen = state.withLock { s in
        s.lock = nil
        s.failedUnlocks = 0
        defer { s.lockSealedVault = false }
        s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
        return s.lockSealedVault
      }
      log(.info, "agent unlocked")
      if reopen { _ = try? openVault(secret, timeout: nil) }
      return AgentReplies.success
    }
    // Not locked but the vault is sealed: the unlock passphrase opens the vault, so `ssh-add -X` works (keyhold-agent(1)).
    guard vault == .sealed else { throw .notLocked }
    try openVault(secret, timeout: nil)
    return AgentReplies.success
  }

  // MARK: - Vault

  /// Reads the vault's public keys and, while it is open, its private keys again (through what the source kept
  /// open at unlock, so no prompt): keys gone from the vault stop signing, renamed ones are listed under their new
  /// name, new ones are listed and sign. A source that can no longer be read open seals the vault.
  func refreshVaultPublicKeys() {
    guard let source else { return }
    let generation = source.generation()
    let epoch = state.withLock { $0.vaultEpoch }
    let keys: [AgentSourceKey]
    do { keys = try source.publicKeys() } catch {
      log(.info, "vault public keys unavailable: \(error)")
      return
    }
    let open = state.withLock { $0.vault.isOpen && $0.vaultEpoch == epoch }
    var reloaded: [PrivateKey]? = nil
    var failure: (any Error)? = nil
    if open {
      do { reloaded = try source.reload() } catch { failure = error }
    }
    let hidden = Set(keys.filter(\.hidden).map(\.blob))
    let applied = state.withLock { s -> Int? in
      s.vaultPublic = keys
      s.vaultGeneration = generation
      var count: Int? = nil
      if s.vault.isOpen && s.vaultEpoch == epoch {
        if failure != nil {
          s.vaultKeys = []
          s.vault = .sealed
        } else if let reloaded {
          s.vaultKeys = Self.vaultIdentities(reloaded, hidden: hidden)
          count = s.vaultKeys.count
        } else {
          // A source that keeps nothing open: drop keys no longer in it and take the names it has now.
          let names = Dictionary(keys.map { ($0.blob, $0.comment) }, uniquingKeysWith: { a, _ in a })
          s.vaultKeys = s.vaultKeys.compactMap { id in
            guard let name = names[id.blob] else { return nil }
            if name == id.comment && hidden.contains(id.blob) == id.hidden { return id }
            return KeyIdentity(
              blob: id.blob, comment: name, key: id.key.withComment(name), fromVault: true,
              hidden: hidden.contains(id.blob))
          }
          count = s.vaultKeys.count
        }
      }
      s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
      return count
    }
    if let failure {
      source.close()
      log(.info, "vault sealed: it changed and cannot be read with the key it was opened with: \(failure)")
    } else if let applied {
      log(.info, "vault changed: \(applied) keys")
    }
  }

  /// Re-reads the vault when the source changed since it was read (a key imported, removed, retired or renamed
  /// while the agent runs; a vault made after the agent started).
  func refreshVaultIfChanged(throttled: Bool = false) {
    guard let source else { return }
    if throttled && configuration.vaultCheckInterval > 0 {
      var ts = timespec()
      clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
      let now = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
      let last = lastVaultCheck.load(ordering: .relaxed)
      if last != 0 && now &- last < configuration.vaultCheckInterval { return }
      lastVaultCheck.store(now, ordering: .relaxed)
    }
    let generation = source.generation()
    guard state.withLock({ $0.vaultGeneration }) != generation else { return }
    refreshGate.withLock { _ in
      // Another request may have read the same change while this one waited.
      if state.withLock({ $0.vaultGeneration }) != source.generation() { refreshVaultPublicKeys() }
    }
  }

  /// The keyring entries for keys opened from the vault.
  static func vaultIdentities(_ keys: [PrivateKey], hidden: Set<[UInt8]>) -> [KeyIdentity] {
    keys.map {
      KeyIdentity(
        blob: $0.publicKey.blob, comment: $0.comment, key: $0, fromVault: true,
        hidden: hidden.contains($0.publicKey.blob))
    }
  }

  /// Lets the source forget what an unlock kept open (the vault's data key) once the vault is no longer open.
  func closeSourceIfSealed() {
    guard let source, state.withLock({ !$0.vault.isOpen }) else { return }
    source.close()
  }

  func openVault(_ passphrase: SecureBytes, timeout: UInt32?) throws(AgentFailure) {
    try vaultGate.withLock { _ throws(AgentFailure) in try openVaultHoldingGate(passphrase, timeout: timeout) }
  }

  func openVaultHoldingGate(_ passphrase: SecureBytes, timeout: UInt32?) throws(AgentFailure) {
    guard let source else { throw .noVault }
    let keys: [PrivateKey]
    do { keys = try source.unlock(passphrase: passphrase) } catch { throw .vault("\(error)") }
    let generation = source.generation()
    let publics = (try? source.publicKeys()) ?? []
    let hidden = Set(publics.filter(\.hidden).map(\.blob))
    let identities = Self.vaultIdentities(keys, hidden: hidden)
    let now = configuration.clock.now()
    state.withLock { s in
      s.vaultKeys = identities
      if !publics.isEmpty {
        s.vaultPublic = publics
        s.vaultGeneration = generation
      }
      s.vault = .open(until: timeout.flatMap { $0 == 0 ? nil : now + UInt64($0) })
      s.lockSealedVault = false
      s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
    }
    log(.info, "vault opened: \(identities.count) keys" + (timeout.map { $0 > 0 ? " for \($0) s" : "" } ?? ""))
    if let timeout, timeout > 0 { scheduleReap(after: timeout) }
  }

  func sealVault() throws(AgentFailure) {
    try state.withLock { s throws(AgentFailure) in
      guard s.vault != .none else { throw .noVault }
      s.vaultKeys = []
      s.vault = .sealed
      s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
    }
    closeSourceIfSealed()
    log(.info, "vault sealed")
  }

  /// Lazy unlock: a sign request for a sealed vault key asks for the passphrase, once for all waiting requests.
  func lazyUnlock() throws(AgentFailure) {
    guard configuration.lazyUnlock, let ask = configuration.askVaultPassphrase else {
      throw .vault("vault is sealed")
    }
    try vaultGate.withLock { _ throws(AgentFailure) in
      let stillSealed = state.withLock { $0.vault == .sealed }
      guard stillSealed else { return }
      guard let passphrase = ask("Enter passphrase to unlock the keyhold vault: ") else {
        throw .vault("passphrase entry cancelled")
      }
      try openVaultHoldingGate(passphrase, timeout: nil)
    }
  }

  func vaultStatus() -> AgentVaultStatus {
    let now = configuration.clock.now()
    return state.withLock { s in
      switch s.vault {
      case .none: return AgentVaultStatus(state: .none, keyCount: 0, secondsLeft: 0, agentLocked: s.lock != nil)
      case .sealed:
        return AgentVaultStatus(
          state: .sealed, keyCount: UInt32(s.vaultPublic.count), secondsLeft: 0, agentLocked: s.lock != nil)
      case .open(let until):
        let left = until.map { $0 > now ? UInt32(clamping: $0 - now) : 0 } ?? 0
        return AgentVaultStatus(
          state: .open, keyCount: UInt32(s.vaultKeys.count), secondsLeft: left, agentLocked: s.lock != nil)
      }
    }
  }

  /// The reply contents of `status@keyhold`.
  func agentStatus() -> AgentStatus {
    let now = configuration.clock.now()
    return state.withLock { s in
      let listedVault = s.listed(lazyUnlock: configuration.lazyUnlock).filter { $0.identity?.fromVault ?? true }
      var status = AgentStatus(
        locked: s.lock != nil, vault: .none, vaultSeconds: now >= s.vaultSince ? now - s.vaultSince : 0,
        secondsLeft: 0, addedKeys: UInt32(clamping: s.added.count), vaultKeys: 0,
        listedVaultKeys: UInt32(clamping: listedVault.count), socketPath: configuration.socketPath ?? "",
        pid: UInt32(bitPattern: getpid()), sealedNote: "")
      switch s.vault {
      case .none: break
      case .sealed:
        status.vault = .sealed
        status.vaultKeys = UInt32(clamping: s.vaultPublic.count)
        if !s.vaultPublic.isEmpty && !configuration.lazyUnlock {
          status.sealedNote = configuration.promptUnavailable ?? "lazy unlock is off (--no-lazy-unlock)"
        }
      case .open(let until):
        status.vault = .open
        status.vaultKeys = UInt32(clamping: s.vaultKeys.count)
        status.secondsLeft = until.map { $0 > now ? UInt32(clamping: $0 - now) : 0 } ?? 0
      }
      return status
    }
  }

  // MARK: - Extensions

  /// The extensions `query` reports.
  public static let supportedExtensions = [
    AgentExtensionRequest.Name.sessionBind, AgentExtensionRequest.Name.query, AgentStatus.extensionName,
    AgentExtensionRequest.Name.vaultUnlock, AgentExtensionRequest.Name.vaultLock,
    AgentExtensionRequest.Name.vaultStatus,
  ]

  /// The vault extensions, which an agent without a vault (`--no-vault`) leaves out of its `query` reply.
  static let vaultExtensions: Set<String> = [
    AgentExtensionRequest.Name.vaultUnlock, AgentExtensionRequest.Name.vaultLock,
    AgentExtensionRequest.Name.vaultStatus,
  ]

  func handleExtension(_ request: AgentExtensionRequest, _ connection: inout AgentConnectionState)
    throws(AgentFailure) -> [UInt8]
  {
    do throws(AgentFailure) {
      switch request {
      case .sessionBind(let bind):
        try sessionBind(bind, &connection)
        return AgentReplies.success
      case .query:
        let names = Self.supportedExtensions.filter { source != nil || !Self.vaultExtensions.contains($0) }
        return AgentReplies.frame(.extensionResponse(.query(names)))
      case .vaultUnlock(let passphrase, let timeout):
        guard !passphrase.isEmpty else { throw .emptyPassphrase }
        try openVault(try Self.guarded(passphrase), timeout: timeout)
        return AgentReplies.success
      case .vaultLock:
        try sealVault()
        return AgentReplies.success
      case .vaultStatus:
        refreshVaultIfChanged()
        return AgentReplies.frame(.extensionResponse(.vaultStatus(vaultStatus())))
      case .other(AgentStatus.extensionName, _):
        refreshVaultIfChanged()
        let contents = agentStatus().encode()
        return AgentReplies.frame(.extensionResponse(.other(name: AgentStatus.extensionName, contents: contents)))
      case .other(let name, _):
        throw .unsupported("extension \(name)")
      }
    } catch {
      if case .unsupported = error { throw error }  // unknown extensions get a plain FAILURE
      throw .extension(error)
    }
  }

  /// PROTOCOL.agent §1: verify the host key's signature over the session id and record the binding.
  func sessionBind(_ bind: SessionBind, _ connection: inout AgentConnectionState) throws(AgentFailure) {
    connection.bindAttempted = true
    guard bind.sessionID.count <= AgentConnectionState.maximumSessionIDLength else {
      throw .sessionBind("session id too long")
    }
    guard verifyHostSignature(bind.hostKey, bind.signature, bind.sessionID) else {
      throw .sessionBind("host key signature does not verify")
    }
    for b in connection.bindings {
      guard b.forwarded else { throw .sessionBind("connection already bound for authentication") }
      if b.sessionID == bind.sessionID {
        if b.hostKey == bind.hostKey { return }
        throw .sessionBind("session id bound to a different host key")
      }
    }
    guard connection.bindings.count < AgentConnectionState.maximumBindings else {
      throw .sessionBind("too many bindings")
    }
    connection.bindings.append(
      AgentConnectionState.Binding(hostKey: bind.hostKey, sessionID: bind.sessionID, forwarded: bind.isForwarding))
    log(.debug, "connection \(connection.number): bound to session (\(connection.bindings.count) hops)")
  }

  // MARK: - Lifetimes and shutdown

  /// Removes expired keys and seals a timed-out vault now.
  public func reapExpired() {
    let timedOut = state.withLock { s in
      let wasOpen = s.vault.isOpen
      if s.reap(now: configuration.clock.now()) {
        s.changed(listSealed: configuration.lazyUnlock, now: configuration.clock.now())
      }
      return wasOpen && !s.vault.isOpen
    }
    if timedOut { closeSourceIfSealed() }
  }

  func scheduleReap(after seconds: UInt32) {
    DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(seconds)) + .milliseconds(50)) {
      [weak self] in
      self?.reapExpired()
    }
  }

  /// Forgets every key, the vault's too, and seals the vault (SIGTERM, SIGUSR1).
  public func removeAllKeys() {
    _ = removeAll()
  }

  func log(_ level: AgentLogLevel, _ line: @autoclosure () -> String) {
    guard level <= configuration.logLevel, let sink = configuration.log else { return }
    sink(level, line())
  }
}
