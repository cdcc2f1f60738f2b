import ArgumentParser
import Vault

/// `keyhold rename OLD NEW`: gives a key a new name; its bindings and sync status stay.
struct RenameCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rename", abstract: "Rename a key in the vault (asks for the vault passphrase).")

  @OptionGroup var vault: VaultOptions

  @Argument(help: "The key's current name.", completion: KeyNameCompletion.kind)
  var old: String

  @Argument(help: "The new name.")
  var new: String

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      try withVaultErrors {
        try VaultName.validate(new)
        guard view.entry(named: old) != nil else { throw VaultError.noSuchKey(old) }
        if old != new, view.entry(named: new) != nil { throw VaultError.duplicateName(new) }
      }
      let passphrase = try vault.readPassphrase()
      try withKDFProgress(store) { try withVaultErrors { try store.rename(old, to: new, passphrase: passphrase) } }
      refreshPublicKeyFiles(store)
      try writeStdout("renamed \(old) to \(new)\n")
    }
  }
}
