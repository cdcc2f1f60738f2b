import ArgumentParser
import KeyholdCore
import Vault

/// `keyhold restore NAME`: brings a retired key back into use.
struct RestoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Bring a retired key back into use (asks for the vault passphrase).")

  @OptionGroup var vault: VaultOptions

  @Argument(
    help: "The retired key's name (`keyhold list --retired` shows them), or its entry id.",
    completion: KeyNameCompletion.retired)
  var name: String

  @Option(name: .customLong("as"), help: ArgumentHelp("Restore it under this name.", valueName: "name"))
  var newName: String?

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      guard view.retired.contains(where: { $0.entry.name == name || $0.entry.id.description == name }) else {
        throw CLIError(
          "no retired key named \"\(name)\"", hint: "`keyhold list --retired` shows the retired keys")
      }
      let passphrase = try vault.readPassphrase()
      let entry = try withKDFProgress(store) {
        try withUseCaseErrors { try Retirement(store: store).restore(name, as: newName, passphrase: passphrase) }
      }
      refreshPublicKeyFiles(store)
      try writeStdout("restored \(entry.name)\n")
    }
  }
}
