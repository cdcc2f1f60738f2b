import Dispatch
import KeyholdCrypto
import SSHKeys
import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// The ssh-agent protocol engine: a decoded request in, a response value out.
///
/// It knows nothing of sockets or framing (see ``AgentConnectionLoop`` and ``answer(frame:connection:)``); it is
/// safe to call from many connection threads at once. The keys live in a ``Keyring`` whose lock is never held
/// while signing, prompting or deriving a key, so a slow request (an RSA-4096 signature, a confirmation prompt, a
/// vault passphrase prompt) never stalls other clients.
public final class Agent: Sendable {
  let configuration: AgentConfiguration
  let keyring: Keyring
  let vault: AgentVault
  let log: AgentLogger
  let passphrases: PassphraseGuard
  /// The framed listings written again and again (``ListingReplies``).
  let replies = ListingReplies()
  let verifyHostSignature: @Sendable (_ hostKey: [UInt8], _ signature: [UInt8], _ data: [UInt8]) -> Bool

  /// Creates an agent. With a `source` the agent starts with that vault sealed; without one it behaves exactly
  /// like ssh-agent. `verifyHostSignature` checks session-bind signatures (defaults to SSHKeys' verification).
  public init(
    configuration: AgentConfiguration, source: (any AgentKeySource)? = nil,
    verifyHostSignature: (@Sendable ([UInt8], [UInt8], [UInt8]) -> Bool)? = nil
  ) {
    self.configuration = configuration
    self.verifyHostSignature = verifyHostSignature ?? HostKeySignature.verify
    let log = AgentLogger(sink: configuration.log, level: configuration.logLevel)
    let keyring = Keyring(clock: configuration.clock, hasVault: source != nil, listSealed: configuration.lazyUnlock)
    let passphrases = PassphraseGuard(pause: configuration.pause)
    self.log = log
    self.keyring = keyring
    self.passphrases = passphrases
    self.vault = AgentVault(
      source: source, keyring: keyring, passphrases: passphrases, log: log,
      checkInterval: configuration.vaultCheckInterval, promptUnavailable: configuration.promptUnavailable,
      scheduleReap: { [weak keyring] in Self.reap(keyring, after: $0, then: $1) })
    vault.refreshPublicKeys()
  }

  // MARK: - The one entry point

  /// Decodes one frame body and answers it. A body that does not decode is answered with SSH_AGENT_FAILURE.
  public func process(_ body: [UInt8], connection: inout AgentConnectionState) -> AgentResponse {
    let request: AgentRequest
    do { request = try AgentRequest.decode(body) } catch {
      let name = AgentMessageType.name(of: body.first ?? 0)
      log(.info, "connection \(connection.number): \(name) refused: \(error)")
      return AgentFailure.malformed(error).response
    }
    return respond(to: request, connection: &connection)
  }

  /// Answers one request. Every refusal becomes SSH_AGENT_FAILURE (or SSH_AGENT_EXTENSION_FAILURE for a failed
  /// known extension) here and nowhere else.
  public func respond(to request: AgentRequest, connection: inout AgentConnectionState) -> AgentResponse {
    log(.debug, "connection \(connection.number): \(request)")
    do throws(AgentFailure) {
      return try dispatch(request, connection: &connection)
    } catch {
      log(.info, "connection \(connection.number): \(request) refused: \(error)")
      return error.response
    }
  }

  /// What every request does first: reaps what expired (a vault that timed out lets its source forget the key)
  /// and answers whether the agent is locked.
  func beginRequest() -> Bool {
    let (locked, vaultTimedOut) = keyring.reapForRequest()
    if vaultTimedOut { vault.closeSourceIfSealed() }
    return locked
  }

  func dispatch(_ request: AgentRequest, connection: inout AgentConnectionState) throws(AgentFailure)
    -> AgentResponse
  {
    let locked = beginRequest()
    // A locked agent lists nothing and refuses everything but unlock and session-bind (PROTOCOL.agent), and
    // `status@keyhold`, which says that it is locked.
    if locked {
      switch request {
      case .unlock, .extension(.sessionBind), .extension(.other(AgentStatus.extensionName, _)): break
      case .requestIdentities: return .identitiesAnswer([])
      default: throw .locked
      }
    }
    switch request {
    case .requestIdentities:
      // Every listing looks at the vault file: `keyhold import … && ssh-add -l` must list the new key however
      // soon the second command runs. One stat(2) next to a connection's accept, reads and writes.
      vault.refreshIfChanged()
      return .identitiesAnswer(list(connection))
    case .signRequest(let r):
      // Signatures look at most once per check interval: a key removed, retired or renamed by another process
      // stops signing, or signs under its new name, within it. A key imported meanwhile is looked for at once
      // (``sign(_:_:)``).
      vault.refreshIfChanged(throttled: true)
      return .signResponse(signature: try signRecorded(r, connection))
    case .addIdentity(let a), .addIDConstrained(let a):
      try add(a, connection)
      return .success
    case .removeIdentity(let blob):
      try keyring.remove(blob, visible: visibility(connection))
      return .success
    case .removeAllIdentities, .removeAllRSAIdentities:
      removeAllKeys()
      return .success
    case .addSmartcardKey(let s), .addSmartcardKeyConstrained(let s):
      try addSmartcard(s, connection)
      return .success
    case .removeSmartcardKey(let s):
      try removeSmartcard(s)
      return .success
    case .lock(let p):
      try lock(p)
      return .success
    case .unlock(let p):
      try unlock(p)
      return .success
    case .extension(let e): return try handleExtension(e, &connection)
    case .unknown(let t, _): throw .unsupported("message \(AgentMessageType.name(of: t))")
    }
  }

  // MARK: - Destination restrictions

  /// Whether a key may be seen on `connection` (PROTOCOL.agent §2), checked against the injected wall clock.
  func visibility(_ connection: AgentConnectionState) -> (KeyIdentity) -> Bool {
    let wallTime = configuration.wallClock.now()
    return { DestinationPolicy.permitted($0, on: connection, user: nil, wallTime: wallTime) }
  }

  func list(_ connection: AgentConnectionState) -> [AgentIdentity] {
    // A connection with no bindings is a local client: every key is visible (and the cached listing serves).
    let local = connection.bindings.isEmpty && !connection.bindAttempted
    let entries = keyring.listed(visible: local ? nil : visibility(connection)).entries
    guard let ordering = hostOrdering(connection) else { return entries.map(\.identity) }
    return ordering.order(entries).map(\.identity)
  }

  /// The order a listing on `connection` takes when the agent knows hosts (keyhold-agent(1), KEY ORDER): nil for
  /// the plain order (no host directory, no binding, or no key known for any host, when every order is plain).
  func hostOrdering(_ connection: AgentConnectionState) -> HostOrdering? {
    guard let hosts = configuration.hosts, let last = connection.bindings.last else { return nil }
    let index = hosts.index()
    guard !index.keysWithKnownHost.isEmpty else { return nil }
    return HostOrdering(index: index, host: last.hostFingerprint, hideOthers: configuration.hideOtherHosts)
  }

  /// The framed answer to SSH_AGENTC_REQUEST_IDENTITIES, as ``respond(to:connection:)`` would answer it, from
  /// the cached bytes when the keyring (and the host index, for a bound connection) did not change.
  func listingReply(_ connection: AgentConnectionState) -> [UInt8] {
    log(.debug, "connection \(connection.number): \(AgentRequest.requestIdentities)")
    if beginRequest() { return AgentFraming.frame(.identitiesAnswer([])) }
    vault.refreshIfChanged()
    let local = connection.bindings.isEmpty && !connection.bindAttempted
    let (version, restricted) = keyring.listingVersion()
    if !local && restricted { return AgentFraming.frame(.identitiesAnswer(list(connection))) }
    if let ordering = hostOrdering(connection) {
      return replies.ordered(version: version, ordering: ordering) { keyring.listed(visible: nil) }
    }
    return replies.plain(version: version) { keyring.listed(visible: nil) }
  }

  // MARK: - Signing

  func sign(_ request: AgentSignRequest, _ connection: AgentConnectionState) throws(AgentFailure) -> [UInt8] {
    var target = keyring.target(request.keyBlob)
    if case .none = target {
      // A key the agent does not hold may have been imported since the last look (`ssh-add -T` right after
      // `keyhold import`): look at the vault now, whatever the interval. Only a miss pays the stat(2).
      vault.refreshIfChanged()
      target = keyring.target(request.keyBlob)
    }
    if case .sealedVaultKey = target {
      try vault.lazyUnlock(enabled: configuration.lazyUnlock, ask: configuration.askVaultPassphrase)
      target = keyring.target(request.keyBlob)
    }
    guard case .key(let identity) = target else { throw .keyNotFound }
    var note: String? = nil
    if !identity.destinations.isEmpty { note = try checkDestination(identity, request, connection) }
    if identity.confirm {
      var prompt = "Allow use of key \(identity.comment)?\nKey fingerprint \(fingerprint(identity.key.publicKey))."
      if let note { prompt += "\n" + note }
      guard let confirm = configuration.confirm, confirm(prompt) else { throw .refusedByUser }
    }
    let signature = try signDroppingDeadProvider(identity, request)
    learn(identity, request, connection)
    return signature
  }

  /// Records that `identity` opened the server this connection was last bound to, when the signature just made
  /// was for a user-authentication request of that session (RFC 4252 §7, PROTOCOL.agent §1): its session id is the
  /// last binding's, its key is the signing key, and a hostbound request names the bound host key. Nothing else
  /// is recorded: not ssh-keygen -Y signatures or other data, not unbound connections, not a session bound for
  /// forwarding (a connection is never authenticated through its forwarding hop), not refused signatures.
  func learn(_ identity: KeyIdentity, _ request: AgentSignRequest, _ connection: AgentConnectionState) {
    guard configuration.learnHosts, let hosts = configuration.hosts, let last = connection.bindings.last,
      !last.forwarded, let auth = UserAuthRequest.parse(request.data), auth.sessionID == last.sessionID,
      auth.keyBlob == request.keyBlob, auth.hostKey.map({ $0 == last.hostKey }) ?? true
    else { return }
    hosts.record(
      HostUse(
        hostKey: last.hostFingerprint, hostKeyBlob: last.hostKey, key: identity.fingerprint,
        keyComment: identity.comment, user: auth.user, wallTime: configuration.wallClock.now()))
    // The user name is the client's: the logger escapes it; never at info level (keyhold-agent(1)).
    log(
      .debug,
      "connection \(connection.number): learned \(last.hostFingerprint) opens with \(identity.fingerprint) for user \"\(auth.user)\""
    )
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
    let wallTime = configuration.wallClock.now()
    guard DestinationPolicy.permitted(id, on: connection, user: auth.user, wallTime: wallTime) else {
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

  // MARK: - Adding

  /// The constraints of an add request that keyhold honours (PROTOCOL.agent §3.2.6); any other is refused.
  /// `smartcard`: ssh-add -s sends an empty associated-certificates constraint, which changes nothing.
  struct AddConstraints {
    var lifetime: UInt32? = nil
    var confirm = false
    var destinations: [DestinationConstraint] = []

    init(_ constraints: [AgentConstraint], smartcard: Bool = false) throws(AgentFailure) {
      for c in constraints {
        switch c {
        case .lifetime(let s): lifetime = s
        case .confirm: confirm = true
        case .restrictDestination(let d): destinations = d
        case .associatedCertificates(let only, let certificates) where smartcard && !only && certificates.isEmpty:
          break
        case .maxSignatures, .associatedCertificates, .securityKeyProvider: throw .unsupported("constraint \(c.name)")
        }
      }
    }
  }

  func add(_ request: AgentAddIdentity, _ connection: AgentConnectionState) throws(AgentFailure) {
    let constraints = try AddConstraints(request.constraints)
    let (lifetime, confirm, destinations) = (constraints.lifetime, constraints.confirm, constraints.destinations)
    // The key stays raw bytes through SSHWire; SSHKeys parses it once, certificate form included.
    var reader = SSHReader(request.key.bytes)
    let parsed: PrivateKey
    do { parsed = try PrivateKey.decodeWire(&reader, minimumRSABits: 1024) } catch { throw Self.addFailure(error) }
    guard reader.isAtEnd else { throw .malformed(.malformed(.trailingBytes(reader.remaining))) }
    let key = parsed.withComment(request.comment)
    let seconds = lifetime ?? configuration.defaultLifetime
    let identity = KeyIdentity(
      blob: key.publicKey.blob, comment: request.comment, key: key,
      expiry: seconds.map { configuration.clock.now() + UInt64($0) }, confirm: confirm, destinations: destinations)
    try keyring.add(identity, visible: visibility(connection))
    log(
      .debug,
      "added \(key.algorithm.rawValue) \(fingerprint(key.plainPublicKey)) \"\(request.comment)\" life \(seconds ?? 0) confirm \(confirm) destinations \(destinations.count)"
    )
    if let seconds { Self.reap(keyring, after: seconds) }
  }

  /// Why a key from ssh-add was refused; DSA gets its reason, since ssh-add of OpenSSH 9 still makes such keys.
  static func addFailure(_ error: KeyError) -> AgentFailure {
    guard case .unsupportedKeyType(let type) = error, type.hasPrefix("ssh-dss") else { return .badKey(error) }
    return .unsupported("\(type) key: DSA support was removed in OpenSSH 10.0")
  }

  // MARK: - Lock and unlock

  /// Copies a passphrase from a request into guarded memory; running out of it is a FAILURE, never a trap.
  static func guarded(_ passphrase: [UInt8]) throws(AgentFailure) -> SecureBytes {
    do { return try SecureBytes.allocate(copying: passphrase) } catch { throw .unsupported("out of secure memory") }
  }

  func lock(_ passphrase: [UInt8]) throws(AgentFailure) {
    guard !passphrase.isEmpty else { throw .emptyPassphrase }
    let secret = try Self.guarded(passphrase)
    let parameters = configuration.lockKDF
    let hash = try passphrases.derive { () throws(AgentFailure) -> LockHash in
      do { return try LockHash(passphrase: secret, parameters: parameters) } catch {
        throw .unsupported("lock hash: \(error)")
      }
    }
    // `ssh-add -x` also seals the vault (keyhold-agent(1)).
    try vault.sealing { () throws(AgentFailure) in try keyring.lock(hash) }
    log(.info, "agent locked")
  }

  func unlock(_ passphrase: [UInt8]) throws(AgentFailure) {
    guard !passphrase.isEmpty else { throw .emptyPassphrase }
    let secret = try Self.guarded(passphrase)
    let (current, vaultState) = keyring.lockState()
    if let current {
      // Back off 0.1 s more per failure of any passphrase, up to 10 s, as OpenSSH; only this connection waits.
      try passphrases.attempt { () throws(AgentFailure) in
        guard current.matches(secret) else { throw .wrongPassphrase }
      }
      let reopen = keyring.unlocked()
      log(.info, "agent unlocked")
      if reopen { _ = try? vault.open(secret, timeout: nil) }
      return
    }
    // Not locked but the vault is sealed: the unlock passphrase opens the vault, so `ssh-add -X` works (keyhold-agent(1)).
    guard vaultState == .sealed else { throw .notLocked }
    try vault.open(secret, timeout: nil)
  }

  // MARK: - Status

  /// The reply contents of `status@keyhold`.
  func agentStatus() -> AgentStatus {
    var status = keyring.agentStatus()
    status.socketPath = configuration.socketPath ?? ""
    status.pid = UInt32(bitPattern: getpid())
    status.log = configuration.signatureLog?.logStatus()
    if status.vault == .sealed && status.vaultKeys > 0 && !configuration.lazyUnlock {
      status.sealedNote = configuration.promptUnavailable ?? "lazy unlock is off (--no-lazy-unlock)"
    }
    return status
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
    throws(AgentFailure) -> AgentResponse
  {
    do throws(AgentFailure) {
      switch request {
      case .sessionBind(let bind):
        try sessionBind(bind, &connection)
        return .success
      case .query:
        let hasVault = vault.source != nil
        return .extensionResponse(
          .query(Self.supportedExtensions.filter { hasVault || !Self.vaultExtensions.contains($0) }))
      case .vaultUnlock(let passphrase, let timeout):
        guard !passphrase.isEmpty else { throw .emptyPassphrase }
        try vault.open(try Self.guarded(passphrase), timeout: timeout)
        return .success
      case .vaultLock:
        try vault.seal()
        return .success
      case .vaultStatus:
        vault.refreshIfChanged()
        return .extensionResponse(.vaultStatus(keyring.vaultStatus()))
      case .other(AgentStatus.extensionName, _):
        vault.refreshIfChanged()
        return .extensionResponse(.other(name: AgentStatus.extensionName, contents: agentStatus().encode()))
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
      AgentConnectionState.Binding(
        hostKey: bind.hostKey, sessionID: bind.sessionID, forwarded: bind.isForwarding,
        hostFingerprint: KeyFingerprint.sha256(ofBlob: bind.hostKey)))
    log(.debug, "connection \(connection.number): bound to session (\(connection.bindings.count) hops)")
  }

  // MARK: - Lifetimes and shutdown

  /// Removes expired keys and seals a timed-out vault now.
  public func reapExpired() {
    if keyring.reapExpired() { vault.closeSourceIfSealed() }
  }

  /// Wipes expired keys from memory soon after they expire even if no request comes to notice it; requests reap
  /// on their own, so this only bounds how long an expired secret stays in memory. `then` runs after the reaping
  /// (the vault's source forgets its key once a timeout sealed it).
  static func reap(_ keyring: Keyring?, after seconds: UInt32, then: (@Sendable () -> Void)? = nil) {
    DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(seconds)) + .milliseconds(50)) {
      [weak keyring] in
      keyring?.reapExpired()
      then?()
    }
  }

  /// Forgets every key, the vault's too, and seals the vault (SIGTERM, SIGUSR1); the source forgets its key.
  public func removeAllKeys() {
    vault.sealing { keyring.removeAll() }
  }
}
