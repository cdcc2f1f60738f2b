import KeyholdCrypto
import SSHKeys
import Synchronization

/// The vault's life inside the agent: sealed (public halves listed) or open (private keys loaded), opened by a
/// passphrase from UNLOCK, `vault-unlock@keyhold` or a lazy-unlock prompt, sealed by `vault-lock@keyhold`, a
/// timeout or the agent lock. Its keys live in the ``Keyring``; this type owns the source and the prompting.
final class AgentVault: Sendable {
  /// Where the vault's keys come from; nil: the agent has no vault.
  let source: (any AgentKeySource)?
  private let keyring: Keyring
  private let passphrases: PassphraseGuard
  private let log: AgentLogger
  private let scheduleReap: @Sendable (_ afterSeconds: UInt32) -> Void
  /// Serialises openings (explicit and lazy) so one passphrase prompt serves every waiting request.
  private let gate = Mutex<Void>(())

  init(
    source: (any AgentKeySource)?, keyring: Keyring, passphrases: PassphraseGuard, log: AgentLogger,
    scheduleReap: @escaping @Sendable (UInt32) -> Void
  ) {
    self.source = source
    self.keyring = keyring
    self.passphrases = passphrases
    self.log = log
    self.scheduleReap = scheduleReap
  }

  /// Reads the vault's public keys into the keyring.
  func refreshPublicKeys() {
    guard let source else { return }
    let generation = source.generation()
    let keys: [AgentSourceKey]
    do { keys = try source.publicKeys() } catch {
      log(.info, "vault public keys unavailable: \(error)")
      return
    }
    keyring.setVaultPublic(keys, generation: generation)
  }

  /// Re-reads the vault's public keys when the source changed since they were read (a key imported while the
  /// agent runs is listed, and lazily unlocked, without restarting the agent).
  func refreshIfChanged() {
    guard let source else { return }
    if keyring.vaultGeneration != source.generation() { refreshPublicKeys() }
  }

  /// Opens the vault with `passphrase`; a non-zero `timeout` seals it again that many seconds later.
  func open(_ passphrase: SecureBytes, timeout: UInt32?) throws(AgentFailure) {
    passphrases.backOff()  // before the gate: a guesser's wait never holds up another opening
    try gate.withLock { _ throws(AgentFailure) in try openHoldingGate(passphrase, timeout: timeout) }
  }

  private func openHoldingGate(_ passphrase: SecureBytes, timeout: UInt32?) throws(AgentFailure) {
    guard let source else { throw .noVault }
    let keys: [PrivateKey]
    keys = try passphrases.check { () throws(AgentFailure) -> [PrivateKey] in
      do { return try source.unlock(passphrase: passphrase) } catch { throw .vault("\(error)") }
    }
    let publics = (try? source.publicKeys()) ?? []
    let hidden = Set(publics.filter(\.hidden).map(\.blob))
    let identities = keys.map {
      KeyIdentity(
        blob: $0.publicKey.blob, comment: $0.comment, key: $0, hidden: hidden.contains($0.publicKey.blob))
    }
    let seconds = timeout.flatMap { $0 == 0 ? nil : $0 }
    keyring.openVault(identities, publics: publics, until: seconds.map { keyring.clock.now() + UInt64($0) })
    log(.info, "vault opened: \(identities.count) keys" + (seconds.map { " for \($0) s" } ?? ""))
    if let seconds { scheduleReap(seconds) }
  }

  /// Seals the vault: its private keys are dropped from the keyring.
  func seal() throws(AgentFailure) {
    try keyring.sealVault()
    log(.info, "vault sealed")
  }

  /// Lazy unlock: a sign request for a sealed vault key asks for the passphrase, once for all waiting requests.
  func lazyUnlock(enabled: Bool, ask: (@Sendable (String) -> SecureBytes?)?) throws(AgentFailure) {
    guard enabled, let ask else { throw .vault("vault is sealed") }
    try gate.withLock { _ throws(AgentFailure) in
      guard keyring.vaultState == .sealed else { return }  // another request opened it while this one waited
      guard let passphrase = ask("Enter passphrase to unlock the keyhold vault: ") else {
        throw .vault("passphrase entry cancelled")
      }
      passphrases.backOff()
      try openHoldingGate(passphrase, timeout: nil)
    }
  }
}
