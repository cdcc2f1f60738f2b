import ArgumentParser
import KeyholdCore
import Vault

/// `keyhold create NAME`: CreateKeyPair, with the private key going straight into the vault.
struct CreateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Make a key pair in the cloud and keep its private key only in the vault (asks for the passphrase).")

  @OptionGroup var cloud: CloudOptions
  @OptionGroup var vault: VaultOptions

  @Argument(help: "The key's name in the vault (and, unless --key-name is given, in the cloud).")
  var name: String

  @Option(name: .long, help: ArgumentHelp("The key type: rsa or ed25519 (Eucalyptus: rsa only).", valueName: "type"))
  var type: String = "rsa"

  @Option(name: .long, help: ArgumentHelp("The key pair's name in the cloud (default: NAME).", valueName: "name"))
  var keyName: String?

  func validate() throws {
    guard type == "rsa" || type == "ed25519" else { throw ValidationError("--type must be rsa or ed25519") }
    guard cloud.region.count <= 1 else { throw ValidationError("create makes one key pair: give at most one --region") }
  }

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      if view.entry(named: name) != nil { throw cliError(.duplicateName(name)) }
      let context = try cloud.resolve()
      let passphrase = try vault.readPassphrase()
      let (name, keyName, type) = (self.name, self.keyName, self.type)
      let created = try runUseCase {
        try await KeyPairs(context: context, store: store).create(
          name: name, keyName: keyName, type: type, passphrase: passphrase)
      }
      refreshPublicKeyFiles(store)
      let pair = created.keyPair
      try writeStdout(
        "created \(name): key pair \(pair.keyName) in \(created.region), fingerprint \(pair.keyFingerprint)"
          + (pair.keyPairId.map { ", id \($0)" } ?? "") + "\n")
      if !created.fingerprintMatches {
        printError("keyhold: warning: no fingerprint formula of the stored key gives the cloud's value")
      }
    }
  }
}
