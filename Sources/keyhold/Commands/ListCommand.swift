import ArgumentParser
import Vault

/// `keyhold list`: the keys in the vault, without the passphrase.
struct ListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the keys in the vault (no passphrase needed).")

  @OptionGroup var vault: VaultOptions

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      if json {
        struct Document: Encodable {
          var vault: String
          var keys: [VaultPresentation.KeyJSON]
        }
        let keys = view.entries.sorted { $0.name < $1.name }.map { VaultPresentation.KeyJSON($0, view: view) }
        try writeStdout(try VaultPresentation.json(Document(vault: store.path, keys: keys)))
      } else if !view.entries.isEmpty {
        try writeStdout(VaultPresentation.table(view))
      }
    }
  }
}
