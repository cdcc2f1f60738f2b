import ArgumentParser
import KeyholdCore
import Vault

/// `keyhold upload NAME`: ImportKeyPair of a vault key's public half, recorded as a binding.
struct UploadCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "upload", abstract: "Upload a vault key's public key as a cloud key pair (asks for the passphrase).")

  @OptionGroup var cloud: CloudOptions
  @OptionGroup var vault: VaultOptions

  @Argument(help: "The key's name in the vault.", completion: KeyNameCompletion.kind)
  var name: String

  @Option(name: .long, help: ArgumentHelp("The key pair's name in the cloud (default: NAME).", valueName: "name"))
  var keyName: String?

  func validate() throws {
    guard cloud.region.count <= 1 else { throw ValidationError("upload makes one key pair: give at most one --region") }
  }

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      guard view.entry(named: name) != nil else { throw cliError(.noSuchKey(name)) }
      let context = try cloud.resolve()
      // The binding is part of the sealed public half: ask before touching the cloud.
      let passphrase = try vault.readPassphrase()
      let (name, keyName) = (self.name, self.keyName)
      let uploaded = try runUseCase {
        try await KeyPairs(context: context, store: store).upload(name: name, keyName: keyName, passphrase: passphrase)
      }
      let b = uploaded.binding
      try writeStdout("uploaded \(name): key pair \(b.keyName) in \(b.region), fingerprint \(b.cloudFingerprint)\n")
    }
  }
}
