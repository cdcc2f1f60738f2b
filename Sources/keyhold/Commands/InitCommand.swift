import ArgumentParser
import SSHKeys
import Vault

/// `keyhold init`: creates an empty vault guarded by a new passphrase.
struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init", abstract: "Create an empty vault guarded by a new passphrase.")

  @OptionGroup var vault: VaultOptions

  @Option(
    help: ArgumentHelp("Argon2id strength: interactive (0.1 s), moderate (1.5 s), sensitive (8 s).", valueName: "kdf"))
  var kdf = KDFChoice(.default)

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      if store.exists { throw cliError(.alreadyExists(store.path)) }
      let passphrase = try vault.passphrases.readNew(
        prompt: "New vault passphrase: ", confirm: "Repeat the vault passphrase: ")
      guard passphrase.count > 0 else { throw CLIError("the vault passphrase is empty") }
      try KDFProgress.run(kdf.profile.parameters) {
        try withVaultErrors { try store.create(passphrase: passphrase, kdf: kdf.profile.parameters) }
      }
      try writeStdout("created vault \(store.path)\n")
    }
  }
}
