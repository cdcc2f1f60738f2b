import ArgumentParser
import Vault

/// `keyhold remove NAME`: deletes a key from the vault.
struct RemoveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove", abstract: "Remove a key from the vault (asks for the vault passphrase).")

  @OptionGroup var vault: VaultOptions

  @Argument(help: "The key's name.")
  var name: String

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      // Check the name before asking for the passphrase.
      let view = try withVaultErrors { try store.readPublic() }
      guard view.entry(named: name) != nil else { throw cliError(.noSuchKey(name)) }
      let passphrase = try vault.readPassphrase()
      try withVaultErrors { _ = try store.remove(name: name, passphrase: passphrase) }
      try writeStdout("removed \(name)\n")
    }
  }
}
