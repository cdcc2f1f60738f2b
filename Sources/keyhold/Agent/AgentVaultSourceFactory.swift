import AgentServer
import Vault

/// Builds the agent's key source for a vault file. The vault module wires in here.
enum AgentVaultSourceFactory {
  static func make(path: String, hideOrphaned: Bool) -> (any AgentKeySource)? {
    VaultKeySource(store: VaultStore(path: path), hideOrphaned: hideOrphaned)
  }
}
