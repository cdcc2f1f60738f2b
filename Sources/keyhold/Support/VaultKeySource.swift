import AgentServer
import KeyholdCore
import KeyholdCrypto
import SSHKeys
import Vault

/// The agent's view of the vault (the agent never imports Vault; the command-line tool hands it this).
///
/// Public keys come from the public half without the passphrase, so a sealed vault still lists its keys; with
/// `hideOrphaned`, keys the last syncs proved orphaned (``KeyEvidence/isOrphaned(_:)``, the rule `prune` uses) are
/// listed as hidden.
struct VaultKeySource: AgentKeySource {
  let store: VaultStore
  let hideOrphaned: Bool

  func publicKeys() throws -> [AgentSourceKey] {
    let view = try store.readPublic()
    return view.entries.map {
      AgentSourceKey(
        blob: $0.publicKeyBlob, comment: $0.name,
        hidden: hideOrphaned && KeyEvidence.isOrphaned(KeyBindings.of($0, in: view)))
    }
  }

  func unlock(passphrase: SecureBytes) throws -> [PrivateKey] {
    try store.unlock(passphrase: passphrase).map { $0.privateKey.withComment($0.entry.name) }
  }
}
