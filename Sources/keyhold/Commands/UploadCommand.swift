import ArgumentParser
import Cloud
import SSHKeys
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold upload NAME`: ImportKeyPair of a vault key's public half, recorded as a binding.
struct UploadCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "upload", abstract: "Upload a vault key's public key as a cloud key pair (asks for the passphrase).")

  @OptionGroup var cloud: CloudOptions
  @OptionGroup var vault: VaultOptions

  @Argument(help: "The key's name in the vault.")
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
      guard let entry = view.entry(named: name) else { throw cliError(.noSuchKey(name)) }
      let line: String
      do {
        line = try PublicKey(blob: entry.publicKeyBlob).openSSHLine(comment: entry.comment)
      } catch {
        throw CLIError("cannot read the public key of \(name): \(error)")
      }
      let resolved = try cloud.resolve()
      let region = resolved.explicitRegions.first ?? resolved.defaultRegion
      let cloudName = keyName ?? name
      // The binding is part of the sealed public half: ask before touching the cloud.
      let passphrase = try vault.readPassphrase()
      let client = resolved.client(region: region, transport: URLSessionTransport())
      let pair = try withCloudErrors {
        try blocking { try await client.importKeyPair(name: cloudName, publicKeyLine: line) }
      }
      let binding = VaultBinding(
        cloud: resolved.bindingName, account: resolved.target.account, region: region, keyName: pair.keyName,
        cloudFingerprint: pair.keyFingerprint, keyPairID: pair.keyPairId ?? "", createdAt: Int64(time(nil)),
        flags: .importedToCloud)
      do {
        let kept = entry.bindings.filter { !$0.sameKeyPair(as: binding) }
        try withVaultErrors { try store.setBindings(kept + [binding], of: name, passphrase: passphrase) }
      } catch {
        _ = try? blocking { try await client.deleteKeyPair(name: cloudName) }
        printError("keyhold: key pair \(cloudName) deleted again in \(region) because the vault could not record it")
        throw error
      }
      try writeStdout("uploaded \(name): key pair \(pair.keyName) in \(region), fingerprint \(pair.keyFingerprint)\n")
    }
  }
}
