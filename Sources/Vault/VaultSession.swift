import KeyholdCrypto
import SSHKeys

/// An open vault: the file's data key, held in guarded memory, so the vault's keys can be read again after the file
/// changes (a key imported, removed, renamed or retired by another process) without asking for the passphrase.
///
/// The data key is what the passphrase unwraps (keyhold-vault(5), "Unlocking"); `passwd` wraps the same data key
/// under the new passphrase, so a session survives a passphrase change. A vault made anew at the same path, or any
/// file whose private half the held key does not open, fails with ``VaultError/dataKeyChanged(_:)``, and the holder
/// must ask for the passphrase again. Dropping the session releases (and wipes) the data key.
public final class VaultSession: Sendable {
  /// The vault this session reads.
  public let store: VaultStore
  /// The data key; its guarded allocation is wiped when the session is released.
  let dataKey: SecureBytes

  init(store: VaultStore, dataKey: SecureBytes) {
    self.store = store
    self.dataKey = dataKey
  }

  /// Re-reads the vault file and opens its private half with the held data key: every active key, parsed and
  /// ready to sign, in vault order. Retired keys are not returned.
  public func reload() throws(VaultError) -> [VaultKey] {
    let file = try store.readFile()
    let secrets: [VaultSecret]
    do { secrets = try file.openPrivate(dataKey: dataKey) } catch .tampered {
      throw .dataKeyChanged(store.path)
    }
    return try VaultStore.decodeKeys(Array(zip(file.entries, secrets)))
  }
}

extension VaultStore {
  /// Opens the vault with the passphrase and returns a session holding its data key, with the keys it holds now.
  ///
  /// The passphrase is used once (one Argon2id run) and not kept; the session's ``VaultSession/reload()`` reads
  /// later versions of the file without it.
  public func open(passphrase: SecureBytes) throws(VaultError) -> (session: VaultSession, keys: [VaultKey]) {
    let (file, dataKey, secrets) = try openSealed(passphrase)
    let keys = try Self.decodeKeys(Array(zip(file.entries, secrets)))
    return (VaultSession(store: self, dataKey: dataKey), keys)
  }
}
