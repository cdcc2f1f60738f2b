import ArgumentParser
import Vault

/// `keyhold passwd`: changes the vault passphrase by re-wrapping the data key.
struct PasswdCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "passwd", abstract: "Change the vault passphrase (and optionally the KDF strength).")

  @OptionGroup var vault: VaultOptions

  @Option(
    help: ArgumentHelp("New Argon2id strength: interactive, moderate or sensitive (default: keep).", valueName: "kdf"))
  var kdf: KDFChoice?

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      let old = try vault.readPassphrase(prompt: "Current vault passphrase: ")
      let new = try vault.passphrases.readNew(
        prompt: "New vault passphrase: ", confirm: "Repeat the new vault passphrase: ")
      guard new.count > 0 else { throw CLIError("the new vault passphrase is empty") }
      // The old key is derived with the vault's limits, the new one with the new limits: announce the slower.
      let slower = [view.kdf, kdf?.profile.parameters ?? view.kdf].max {
        $0.opsLimit * $0.memLimit < $1.opsLimit * $1.memLimit
      }!
      try KDFProgress.run(slower) {
        try withVaultErrors { try store.changePassphrase(from: old, to: new, kdf: kdf?.profile.parameters) }
      }
      try writeStdout("changed the passphrase of \(store.path)\n")
    }
  }
}
