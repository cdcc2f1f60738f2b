import ArgumentParser
import KeyholdCore
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
      // The last use comes from the signature log (keyhold-log(1)), after what the vault knows.
      let usage = LastUsePresentation.usage()
      if json {
        let key = VaultPresentation.KeyJSON(entry, view: view)
        try writeStdout(try VaultPresentation.json(WithLastUse(key: key, lastUse: usage?.last(entry))))
      } else {
        var text = VaultPresentation.details(entry, view: view)
        if let usage {
          // Aligned with the lines above: their values start where the first one's does.
          let column =
            text.prefix { $0 != "\n" }.prefix { $0 != " " }.count
            + text.prefix { $0 != "\n" }.drop { $0 != " " }.prefix { $0 == " " }.count
          let label = "last used:"
          text += label + String(repeating: " ", count: max(1, column - label.count))
          text += LastUsePresentation.text(usage.last(entry), usage: usage) + "\n"
        }
        try writeStdout(text)
      }
    }
  }

  /// The key's JSON object with `last_use` added (null when the log has none).
  struct WithLastUse: Encodable {
    let key: VaultPresentation.KeyJSON
    let lastUse: KeyUsage.Use?

    enum CodingKeys: String, CodingKey { case lastUse = "last_use" }

    func encode(to encoder: any Encoder) throws {
      try key.encode(to: encoder)
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(lastUse.map(LastUsePresentation.UseJSON.init), forKey: .lastUse)
    }
  }
}
