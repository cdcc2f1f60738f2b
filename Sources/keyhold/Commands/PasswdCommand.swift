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
      _ = try withVaultErrors { try store.readPublic() }
      let old = try vault.passphrases.read(prompt: "Current vault passphrase: ")
      let new = try vault.passphrases.readNew(
        prompt: "New vault passphrase: ", confirm: "Repeat the new vault passphrase: ")
      guard new.count > 0 else { throw CLIError("the new vault passphrase is empty") }
      try withVaultErrors { try store.changePassphrase(from: old, to: new, kdf: kdf?.profile.parameters) }
      try writeStdout("changed the passphrase of \(store.path)\n")
    }
  }
}
