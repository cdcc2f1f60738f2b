import ArgumentParser
import Vault

/// `keyhold show NAME`: everything the vault knows about one key, without the passphrase.
struct ShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show one key's fingerprints, bindings and sync status (no passphrase needed).")

  @OptionGroup var vault: VaultOptions
  @OptionGroup var verification: VerifyOptions

  @Flag(help: "Print JSON instead of text.")
  var json = false

  @Argument(help: "The key's name.", completion: KeyNameCompletion.kind)
  var name: String

  func run() throws {
    try runReportingErrors {
      let (view, _) = try verification.read(vault)
      guard let entry = view.entry(named: name) else { throw cliError(.noSuchKey(name)) }
      try writeStdout(
        json
          ? try VaultPresentation.json(VaultPresentation.KeyJSON(entry, view: view))
          : VaultPresentation.details(entry, view: view))
    }
  }
}
