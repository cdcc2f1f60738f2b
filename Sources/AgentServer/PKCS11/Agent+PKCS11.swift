import SSHKeys
import SSHWire

/// ssh-add -s / -e: PKCS #11 providers whose token keys join the keyring (ssh-agent(1), PROTOCOL.agent).
extension Agent {
  /// SSH_AGENTC_ADD_SMARTCARD_KEY and _CONSTRAINED: loads the provider with the request's PIN through its own
  /// helper process and adds every key its tokens offer, with the request's lifetime and confirm constraints.
  ///
  /// As ssh-agent: the provider's canonical path must match the `-P` allow-list, a provider already loaded is
  /// refused (remove it first), and a token key already in the agent keeps its entry.
  func addSmartcard(_ request: AgentSmartcardKey, _ connection: AgentConnectionState) throws(AgentFailure) {
    let constraints = try AddConstraints(request.constraints, smartcard: true)
    let (lifetime, confirm, destinations) = (constraints.lifetime, constraints.confirm, constraints.destinations)
    let path: String
    do { path = try PKCS11AllowList.canonicalPath(request.id) } catch { throw .pkcs11(error) }
    // Refused before a helper is started; checked again below, since another connection may load it meanwhile.
    guard keyring.withState({ $0.providers[path] == nil }) else { throw .pkcs11(.providerAlreadyLoaded(path: path)) }
    let provider: PKCS11Provider
    do {
      provider = try PKCS11Provider.load(
        path: path, pin: request.pin, helper: configuration.pkcs11Helper, allowList: configuration.pkcs11AllowList,
        deadlines: configuration.pkcs11Deadlines)
    } catch {
      throw .pkcs11(error)
    }
    let seconds = lifetime ?? configuration.defaultLifetime
    let expiry = seconds.map { configuration.clock.now() + UInt64($0) }
    let identities = provider.keys.map { key in
      KeyIdentity(
        blob: key.blob, comment: key.comment, key: .pkcs11(provider, key), expiry: expiry, confirm: confirm,
        destinations: destinations)
    }
    let added = keyring.withState { s -> Int? in
      guard s.providers[path] == nil else { return nil }
      s.providers[path] = provider
      var count = 0
      for identity in identities where s.addedKey(identity.blob) == nil {
        s.putAdded(identity)
        count += 1
      }
      return count
    }
    guard let added else {
      provider.unload()
      throw .pkcs11(.providerAlreadyLoaded(path: path))
    }
    log(.info, "added pkcs11 provider \(path): \(added) keys, life \(seconds ?? 0) confirm \(confirm)")
    if let seconds { Self.reap(keyring, after: seconds) }
  }

  /// SSH_AGENTC_REMOVE_SMARTCARD_KEY: drops the provider's keys and unloads it (its helper ends).
  func removeSmartcard(_ request: AgentSmartcardKey) throws(AgentFailure) {
    // ssh-add -e names the provider as it was added; the keyring knows it by its canonical path.
    let path = (try? PKCS11AllowList.canonicalPath(request.id)) ?? request.id
    let provider = keyring.withState { s in Self.removeProvider(at: path, from: &s) }
    guard let provider else { throw .pkcs11(.providerNotLoaded(path: path)) }
    provider.unload()
    log(.info, "removed pkcs11 provider \(path)")
  }

  /// Signs with `identity`. When a token key's helper died or was killed for not answering in time
  /// (``PKCS11Deadlines``), the provider is dropped with all its keys and the log says why: the helper is not
  /// restarted, since the token that hung it may hang the next one too; `ssh-add -s` loads the provider again.
  func signDroppingDeadProvider(_ identity: KeyIdentity, _ request: AgentSignRequest) throws(AgentFailure) -> [UInt8] {
    do throws(AgentFailure) {
      return try identity.key.sign(request.data, flags: request.flags)
    } catch {
      if let provider = identity.key.provider, !provider.isLoaded {
        let path = provider.path
        let dropped = keyring.withState { s -> PKCS11Provider? in
          guard s.providers[path] === provider else { return nil }
          return Self.removeProvider(at: path, from: &s)
        }
        if dropped != nil { log(.info, "dropped pkcs11 provider \(path) and its keys: \(error)") }
      }
      throw error
    }
  }

  /// Takes the provider at `path` and its keys out of the keyring; nil when it is not loaded.
  static func removeProvider(at path: String, from s: inout KeyringState) -> PKCS11Provider? {
    guard let provider = s.providers.removeValue(forKey: path) else { return nil }
    // A rare request: one pass over the added keys.
    let blobs = s.added.compactMap { id -> [UInt8]? in
      guard let id, let owner = id.key.provider, owner === provider else { return nil }
      return id.blob
    }
    for blob in blobs { _ = s.removeAdded(blob) }
    return provider
  }
}
