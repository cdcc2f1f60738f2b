import AgentServer
import Vault

/// Chooses the vault the agent serves and builds its key source (``VaultKeySource``).
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
    VaultKeySource(store: VaultStore(path: path), hideOrphaned: hideOrphaned)
  }
}
