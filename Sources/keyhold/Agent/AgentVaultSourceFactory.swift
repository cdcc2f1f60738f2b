import AgentServer
import SSHKeys
import Vault

/// The agent's key source backed by the vault file: the composition root joins the agent and the vault here, so
/// neither module imports the other (DESIGN §2).
struct VaultAgentKeySource: AgentKeySource {
  let store: VaultStore
  /// Mark keys whose every cloud binding is orphaned as hidden (`--hide-orphaned`).
  let hideOrphaned: Bool

  func publicKeys() throws -> [AgentSourceKey] {
    let view = try store.readPublic()
    return view.entries.map {
      AgentSourceKey(blob: $0.publicKeyBlob, comment: $0.name, hidden: hideOrphaned && view.isOrphaned($0))
    }
  }

  func unlock(passphrase: SecureBytes) throws -> [PrivateKey] {
    try store.unlock(passphrase: passphrase).map { $0.privateKey.withComment($0.entry.name) }
  }
}

/// Chooses the vault the agent serves.
enum AgentVaultSourceFactory {
  /// `--vault PATH` or `KEYHOLD_VAULT` must name an existing vault; the default path is used only when it exists,
  /// so an agent started before `keyhold init` behaves exactly like ssh-agent.
  static func resolve(option: String?) throws -> String? {
    let explicit = option != nil || !(VaultLocation.currentEnvironment()["KEYHOLD_VAULT"] ?? "").isEmpty
    let path = try VaultLocation.resolve(option: option)
    if VaultStore(path: path).exists { return path }
    if explicit {
      throw CLIError("no vault at \(path)", hint: "create one with `keyhold init`, or start the agent with --no-vault")
    }
    return nil
  }

  static func make(path: String, hideOrphaned: Bool) -> (any AgentKeySource)? {
    VaultAgentKeySource(store: VaultStore(path: path), hideOrphaned: hideOrphaned)
  }
}
