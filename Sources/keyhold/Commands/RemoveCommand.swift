import ArgumentParser
import KeyholdCore
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold remove NAME`: retires a key (restorable with `keyhold restore` for the retention period).
struct RemoveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove",
    abstract: "Retire a key: it leaves use but stays restorable for 30 days (asks for the vault passphrase).")

  @OptionGroup var vault: VaultOptions
  @OptionGroup var retention: RetentionOptions

  @Argument(help: "The key's name.", completion: KeyNameCompletion.kind)
  var name: String

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      // Check the name before asking for the passphrase.
      let view = try withVaultErrors { try store.readPublic() }
      guard view.entry(named: name) != nil else { throw cliError(.noSuchKey(name)) }
      let passphrase = try vault.readPassphrase()
      let result = try withKDFProgress(store) {
        try withUseCaseErrors {
          try Retirement(store: store, retention: retention.seconds).remove(name, passphrase: passphrase)
        }
      }
      refreshPublicKeyFiles(store)
      try printRetirement(result, now: Int64(time(nil)))
    }
  }
}
