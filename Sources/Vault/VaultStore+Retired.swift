import KeyholdCrypto
import SSHKeys

// Retired keys: `remove` and `prune` retire instead of deleting, so that neither can destroy a key; a retired key's
// private half stays sealed until it is restored or purged.

extension VaultStore {
  /// Retires the keys named `names` in one durable write, keeping each for `retention` seconds from ``now``, and
  /// purges retired entries whose retention has run out. An unknown name fails and nothing is written.
  @discardableResult
  public func retire(names: [String], reason: String, retention: Int64, passphrase: SecureBytes) throws(VaultError)
    -> VaultRetireResult
  {
    try Self.validateReason(reason)
    let at = now()
    return try editContents(passphrase: passphrase) { (c: inout VaultContents) throws(VaultError) in
      var retired: [VaultRetiredEntry] = []
      for name in names {
        guard let i = c.entries.firstIndex(where: { $0.name == name }) else { throw .noSuchKey(name) }
        let entry = VaultRetiredEntry(
          entry: c.entries.remove(at: i), retiredAt: at, expiresAt: at &+ max(retention, 0), reason: reason)
        c.retired.append(entry)
        c.retiredSecrets.append(c.secrets.remove(at: i))
        retired.append(entry)
      }
      let purged = Self.drop(&c) { $0.isExpired(at: at) && !retired.contains($0) }
      return VaultRetireResult(retired: retired, purged: purged)
    }
  }

  /// Puts a retired key back among the active ones and returns its entry, renamed to `newName` when given.
  ///
  /// `name` is a retired entry's name (the most recently retired one of that name) or its entry id in hex. A name
  /// an active key has fails with ``VaultError/restoreNameTaken(_:)``; a public key an active key has fails with
  /// ``VaultError/duplicateKey(existingName:)``.
  @discardableResult
  public func restore(name: String, as newName: String? = nil, passphrase: SecureBytes) throws(VaultError)
    -> VaultEntry
  {
    if let newName { try VaultName.validate(newName) }
    return try editContents(passphrase: passphrase) { (c: inout VaultContents) throws(VaultError) -> VaultEntry in
      guard let i = Self.retiredIndex(of: name, in: c.retired) else { throw .noSuchRetiredKey(name) }
      var entry = c.retired[i].entry
      if let newName { entry.name = newName }
      guard !c.entries.contains(where: { $0.name == entry.name }) else { throw .restoreNameTaken(entry.name) }
      if let other = c.entries.first(where: { $0.publicKeyBlob == entry.publicKeyBlob }) {
        throw .duplicateKey(existingName: other.name)
      }
      c.retired.remove(at: i)
      c.entries.append(entry)
      c.secrets.append(c.retiredSecrets.remove(at: i))
      return entry
    }
  }

  /// Drops retired keys for good and returns them: those named in `names` (names or entry ids; nil: all), and of
  /// those only the expired ones when `expiredOnly`. A name matching no retired key fails and nothing is written.
  @discardableResult
  public func purge(names: [String]?, expiredOnly: Bool, passphrase: SecureBytes) throws(VaultError)
    -> [VaultRetiredEntry]
  {
    let at = now()
    return try editContents(passphrase: passphrase) {
      (c: inout VaultContents) throws(VaultError) -> [VaultRetiredEntry] in
      var chosen: Set<VaultEntryID>?
      if let names {
        var ids = Set<VaultEntryID>()
        for name in names {
          let matches = c.retired.filter { $0.entry.name == name || $0.entry.id.description == name }
          guard !matches.isEmpty else { throw .noSuchRetiredKey(name) }
          ids.formUnion(matches.map(\.entry.id))
        }
        chosen = ids
      }
      return Self.drop(&c) { r in
        (chosen?.contains(r.entry.id) ?? true) && (!expiredOnly || r.isExpired(at: at))
      }
    }
  }

  /// Removes the key named `name` and returns its entry: it is retired for ``VaultRetention/defaultSeconds`` with
  /// the reason `removed`, so it can still be restored.
  @discardableResult
  public func remove(name: String, passphrase: SecureBytes) throws(VaultError) -> VaultEntry {
    try retire(names: [name], reason: "removed", retention: VaultRetention.defaultSeconds, passphrase: passphrase)
      .retired[0].entry
  }

  /// Removes the retired entries `drop` chooses, with their secrets, and returns them.
  static func drop(_ c: inout VaultContents, where drop: (VaultRetiredEntry) -> Bool) -> [VaultRetiredEntry] {
    var dropped: [VaultRetiredEntry] = []
    for i in c.retired.indices.reversed() where drop(c.retired[i]) {
      dropped.insert(c.retired.remove(at: i), at: 0)
      c.retiredSecrets.remove(at: i)
    }
    return dropped
  }

  /// The retired entry `name` means: the most recently retired of that name, else the one with that entry id.
  static func retiredIndex(of name: String, in retired: [VaultRetiredEntry]) -> Int? {
    var latest: Int?
    // On equal times the later in the list (retired later) wins.
    for i in retired.indices where retired[i].entry.name == name {
      if latest.map({ retired[$0].retiredAt <= retired[i].retiredAt }) ?? true { latest = i }
    }
    if let latest { return latest }
    return retired.firstIndex { $0.entry.id.description == name }
  }

  /// A reason is one short line: at most ``VaultRetention/maximumReasonBytes`` bytes, no control character.
  static func validateReason(_ reason: String) throws(VaultError) {
    guard reason.utf8.count <= VaultRetention.maximumReasonBytes else {
      throw .invalidReason("longer than \(VaultRetention.maximumReasonBytes) bytes")
    }
    guard !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
      throw .invalidReason("it contains a control character")
    }
  }
}
