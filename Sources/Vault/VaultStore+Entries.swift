import KeyholdCrypto
import SSHKeys

// Operations on entries that need the passphrase (the public half is bound into the seal), written over opaque
// private-key wire blobs; VaultStore+Keys.swift puts real keys on top.

extension VaultStore {
  /// Adds entries with their private wire blobs in one durable write.
  ///
  /// A name or public key already in the vault is refused unless `force`: then the old entries with that name or that
  /// public key are replaced, and the bindings of a replaced entry holding the same public key carry over. A replaced
  /// entry holding another key is retired (reason `replaced`, ``VaultRetention/defaultSeconds``), never destroyed.
  func addSealed(_ items: [(VaultEntry, SecureBytes)], passphrase: SecureBytes, force: Bool) throws(VaultError)
    -> [VaultEntry]
  {
    for (entry, _) in items { try VaultName.validate(entry.name) }
    let at = now()
    return try editContents(passphrase: passphrase) { (c: inout VaultContents) throws(VaultError) -> [VaultEntry] in
      var added: [VaultEntry] = []
      for (new, wire) in items {
        var new = new
        let clashes = c.entries.indices.filter {
          c.entries[$0].name == new.name || c.entries[$0].publicKeyBlob == new.publicKeyBlob
        }
        if let first = clashes.first, !force || added.contains(where: { $0.id == c.entries[first].id }) {
          let old = c.entries[first]
          throw old.publicKeyBlob == new.publicKeyBlob
            ? .duplicateKey(existingName: old.name) : .duplicateName(old.name)
        }
        for i in clashes where c.entries[i].publicKeyBlob == new.publicKeyBlob {
          for b in c.entries[i].bindings where !new.bindings.contains(where: { $0.sameKeyPair(as: b) }) {
            new.bindings.append(b)
          }
        }
        for i in clashes.reversed() {
          let old = c.entries.remove(at: i)
          let secret = c.secrets.remove(at: i)
          // The same public key is the same private key: nothing is lost. Another key is kept, retired.
          guard old.publicKeyBlob != new.publicKeyBlob else { continue }
          c.retired.append(
            VaultRetiredEntry(
              entry: old, retiredAt: at, expiresAt: at &+ VaultRetention.defaultSeconds, reason: "replaced"))
          c.retiredSecrets.append(secret)
        }
        c.entries.append(new)
        c.secrets.append(VaultSecret(id: new.id, keyWire: wire))
        added.append(new)
      }
      return added
    }
  }

  /// Opens the vault and returns each entry with its private wire blob.
  func unlockSealed(passphrase: SecureBytes) throws(VaultError) -> [(VaultEntry, VaultSecret)] {
    let (file, _, secrets) = try openSealed(passphrase)
    return Array(zip(file.entries, secrets))
  }

  /// Renames a key; its id, bindings and status stay.
  public func rename(_ old: String, to new: String, passphrase: SecureBytes) throws(VaultError) {
    try VaultName.validate(new)
    try editSealed(passphrase: passphrase) {
      (entries: inout [VaultEntry], _: inout [VaultSecret]) throws(VaultError) in
      guard let i = entries.firstIndex(where: { $0.name == old }) else { throw .noSuchKey(old) }
      if old == new { return }
      guard !entries.contains(where: { $0.name == new }) else { throw .duplicateName(new) }
      entries[i].name = new
    }
  }

  /// Replaces the cloud bindings of the key named `name` (e.g. after `keyhold create` or an ImportKeyPair).
  public func setBindings(_ bindings: [VaultBinding], of name: String, passphrase: SecureBytes) throws(VaultError) {
    try editSealed(passphrase: passphrase) {
      (entries: inout [VaultEntry], _: inout [VaultSecret]) throws(VaultError) in
      guard let i = entries.firstIndex(where: { $0.name == name }) else { throw .noSuchKey(name) }
      entries[i].bindings = bindings
    }
  }
}
