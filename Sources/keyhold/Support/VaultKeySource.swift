import AgentServer
import KeyholdCore
import KeyholdCrypto
import SSHKeys
import Synchronization
import Vault

/// The agent's view of the vault (the agent never imports Vault; the command-line tool hands it this).
///
/// Public keys come from the public half without the passphrase, so a sealed vault still lists its keys; with
/// `hideOrphaned`, keys the last syncs proved orphaned (``KeyEvidence/isOrphaned(_:)``, the rule `prune` uses) are
/// listed as hidden. A missing vault file has no keys yet: it is read once it appears (`keyhold init`).
///
/// An unlock keeps a ``VaultSession`` (the vault's data key in guarded memory) until ``close()``, so the agent can
/// follow later versions of the file (``reload()``) without asking for the passphrase again.
final class VaultKeySource: AgentKeySource {
  let store: VaultStore
  let hideOrphaned: Bool
  private let session = Mutex<VaultSession?>(nil)

  init(store: VaultStore, hideOrphaned: Bool) {
    self.store = store
    self.hideOrphaned = hideOrphaned
  }

  func publicKeys() throws -> [AgentSourceKey] {
    // A vault not made yet has no keys; it is read once it exists.
    guard store.exists else { return [] }
    let view = try store.readPublic()
    return view.entries.map {
      AgentSourceKey(
        blob: $0.publicKeyBlob, comment: $0.name,
        hidden: hideOrphaned && KeyEvidence.isOrphaned(KeyBindings.of($0, in: view)))
    }
  }

  func unlock(passphrase: SecureBytes) throws -> [PrivateKey] {
    let (opened, keys) = try store.open(passphrase: passphrase)
    session.withLock { $0 = opened }
    return Self.named(keys)
  }

  func reload() throws -> [PrivateKey]? {
    guard let current = session.withLock({ $0 }) else { return nil }
    do { return Self.named(try current.reload()) } catch {
      // The held data key no longer opens the file (or the file is gone): forget it; the agent seals the vault.
      session.withLock { if $0 === current { $0 = nil } }
      throw error
    }
  }

  func close() {
    session.withLock { $0 = nil }
  }

  /// Keys carry their vault name as the comment: that is what `ssh-add -l` shows and what `keyhold rename` changes.
  private static func named(_ keys: [VaultKey]) -> [PrivateKey] {
    // The vault already names most keys so: a copy only where the comment differs.
    keys.map { $0.privateKey.comment == $0.entry.name ? $0.privateKey : $0.privateKey.withComment($0.entry.name) }
  }
}
