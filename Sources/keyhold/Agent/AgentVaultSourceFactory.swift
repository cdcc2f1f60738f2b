import AgentServer
import Vault

/// Chooses the vault the agent serves and builds its key source (``VaultKeySource``).
enum AgentVaultSourceFactory {
  /// `--vault PATH` or `KEYHOLD_VAULT` must name an existing vault. The default path is served whether or not a
  /// vault exists there yet: an agent started before `keyhold init` (as `make run` on a fresh machine does) serves
  /// the vault once it is made.
  static func resolve(option: String?) throws -> String? {
    let explicit = option != nil || !(VaultLocation.currentEnvironment()["KEYHOLD_VAULT"] ?? "").isEmpty
    let path = try VaultLocation.resolve(option: option)
    if explicit && !VaultStore(path: path).exists {
      throw CLIError("no vault at \(path)", hint: "create one with `keyhold init`, or start the agent with --no-vault")
    }
    return path
  }

  static func make(path: String, hideOrphaned: Bool) -> (any AgentKeySource)? {
    VaultKeySource(store: VaultStore(path: path), hideOrphaned: hideOrphaned)
  }
}
