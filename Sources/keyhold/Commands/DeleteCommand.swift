import ArgumentParser
import KeyholdCore
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold delete NAME`: DeleteKeyPair after checking the key pair holds this key, then (after confirmation) the
/// key's retirement from the vault.
struct DeleteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete",
    abstract: "Delete a key's cloud key pair and, after confirmation, retire the key (asks for the passphrase).")

  @OptionGroup var cloud: CloudOptions
  @OptionGroup var vault: VaultOptions
  @OptionGroup var retention: RetentionOptions

  @Argument(help: "The key's name in the vault.", completion: KeyNameCompletion.kind)
  var name: String

  @Flag(name: .long, help: "Retire the key from the vault too without asking.")
  var yes = false

  @Flag(name: .long, help: "Keep the key in the vault; only delete the cloud key pair.")
  var keepLocal = false

  @Flag(name: .long, help: "Retire the key even though running instances may have been launched with it.")
  var forceInUse = false

  @Flag(
    name: .long,
    help: "Delete the key pair even though its fingerprint does not prove it holds this key (it may hold another).")
  var deleteMismatched = false

  func validate() throws {
    if yes && keepLocal { throw ValidationError("give --yes or --keep-local, not both") }
    guard cloud.region.count <= 1 else { throw ValidationError("give at most one --region") }
  }

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let context = try cloud.resolve()
      let policy = KeyPairs.DeletePolicy(
        removeLocal: yes ? true : keepLocal ? false : nil, deleteMismatched: deleteMismatched,
        forceInUse: forceInUse, retention: retention.seconds)
      let name = self.name
      let vault = self.vault
      let done = try runUseCase {
        try await KeyPairs(context: context, store: store).delete(
          name: name, policy: policy, confirm: { confirm($0) }, passphrase: { try vault.readPassphrase() })
      }
      refreshPublicKeyFiles(store)
      try writeStdout(
        done.existed
          ? "deleted key pair \(done.keyName) in \(done.region)\n"
          : "the cloud had no key pair \(done.keyName) in \(done.region)\n")
      if let why = done.keptBecause { printError("keyhold: kept \(name) in the vault: \(why)") }
      if done.retired {
        try writeStdout("retired \(name) (restorable with keyhold restore \(name))\n")
      }
    }
  }
}
