import KeyholdCrypto
import SSHKeys
import SSHWire

// The key-level API: what the CLI, the agent's key source and the cloud commands call.

extension VaultStore {
  /// Opens the vault with the passphrase and returns every key, parsed and ready to sign, in vault order.
  ///
  /// The keys are built on every core, with ``PrivateKey/decodeStoredWires(_:ranges:)``: the private half is
  /// authenticated (XChaCha20-Poly1305 bound to the public half), so the consistency proofs each key passed at
  /// import are not repeated (keyhold-vault(5), "Unlocking").
  public func unlock(passphrase: SecureBytes) throws(VaultError) -> [VaultKey] {
    try Self.decodeKeys(try unlockSealed(passphrase: passphrase))
  }

  /// Parses the unlocked private half's keys, each paired with its entry, on every core.
  static func decodeKeys(_ sealed: [(VaultEntry, VaultSecret)]) throws(VaultError) -> [VaultKey] {
    // After an unlock every secret is a slice of the one decrypted buffer (see VaultSecret).
    guard let storage = sealed.first?.1.storage, sealed.allSatisfy({ $0.1.storage === storage }) else {
      return try sealed.map { (entry, wire) throws(VaultError) -> VaultKey in
        VaultKey(entry: entry, privateKey: try Self.decodeKey(wire, comment: entry.comment))
      }
    }
    // Each key is built with its comment: a renamed copy of every key would leave a hole where each first one was.
    let decoded = PrivateKey.decodeStoredWires(
      storage, ranges: sealed.map(\.1.range), comments: sealed.map(\.0.comment))
    var keys: [VaultKey] = []
    keys.reserveCapacity(sealed.count)
    for ((entry, _), result) in zip(sealed, decoded) {
      switch result {
      case .success(let key): keys.append(VaultKey(entry: entry, privateKey: key))
      case .failure(let error): throw Self.vaultError(error)
      }
    }
    return keys
  }

  /// Adds keys in one durable write and returns their new entries.
  ///
  /// Each entry gets a fresh id, the key's public blob, the creation time from ``now`` and every cloud fingerprint
  /// the key allows; a binding flagged ``VaultBinding/Flags/createdByCloud`` without a time gets the same time. A name or public key already in the vault fails with ``VaultError/duplicateName(_:)`` or
  /// ``VaultError/duplicateKey(existingName:)`` unless `force`, which replaces the old entry (keeping the bindings
  /// of an old entry that holds the same key).
  @discardableResult
  public func add(_ keys: [VaultNewKey], passphrase: SecureBytes, force: Bool = false) throws(VaultError)
    -> [VaultEntry]
  {
    let created = now()
    let items = keys.map { k -> (VaultEntry, SecureBytes) in
      let comment = k.comment ?? (k.privateKey.comment.isEmpty ? k.name : k.privateKey.comment)
      let entry = VaultEntry(
        id: VaultEntryID(bytes: Sodium.randomBytes(VaultEntryID.byteCount))!, name: k.name,
        algorithm: k.privateKey.algorithm.rawValue, publicKeyBlob: k.privateKey.publicKey.blob, comment: comment,
        createdAt: created, fingerprints: Self.fingerprints(of: k.privateKey),
        bindings: k.bindings.map { b in
          // A key pair the cloud just made for this key was made about now.
          var b = b
          if b.createdAt == 0 && b.flags.contains(.createdByCloud) { b.createdAt = created }
          return b
        })
      return (entry, k.privateKey.encodeWire())
    }
    return try addSealed(items, passphrase: passphrase, force: force)
  }

  /// The fingerprints stored for a key: every cloud formula the private key allows.
  public static func fingerprints(of key: PrivateKey) -> [VaultFingerprint] {
    let computed = key.cloudFingerprints()
    return CloudFingerprintKind.allCases.compactMap { kind in
      computed[kind].map { VaultFingerprint(kind: kind.rawValue, value: $0) }
    }
  }

  /// Parses a key's private wire form from the unlocked (hence authenticated) private half.
  static func decodeKey(_ secret: VaultSecret, comment: String) throws(VaultError) -> PrivateKey {
    let result = secret.withKeyWire { wire in
      Result { () throws(KeyError) in try PrivateKey.decodeStoredWire(wire, comment: comment) }
    }
    switch result {
    case .success(let key): return key
    case .failure(let error): throw vaultError(error)
    }
  }

  /// The vault error for a key that could not be built from the private half.
  static func vaultError(_ error: KeyError) -> VaultError {
    error == .outOfSecureMemory ? .outOfSecureMemory : .key("\(error)")
  }
}

extension VaultStore {
  /// Opens the vault with the passphrase and returns the one key named `name` (the others are not parsed).
  public func unlockKey(named name: String, passphrase: SecureBytes) throws(VaultError) -> VaultKey {
    guard let (entry, wire) = try unlockSealed(passphrase: passphrase).first(where: { $0.0.name == name }) else {
      throw .noSuchKey(name)
    }
    return VaultKey(entry: entry, privateKey: try Self.decodeKey(wire, comment: entry.comment))
  }
}
