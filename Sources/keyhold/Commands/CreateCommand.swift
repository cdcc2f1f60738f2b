import ArgumentParser
import Cloud
import SSHKeys
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
      let resolved = try cloud.resolve()
      let region = resolved.explicitRegions.first ?? resolved.defaultRegion
      let cloudName = keyName ?? name
      let passphrase = try vault.readPassphrase()
      let client = resolved.client(region: region, transport: URLSessionTransport())
      let keyType = type
      // Eucalyptus makes RSA only and refuses a KeyType parameter; send it only when it is not the default.
      let sendType: String? = client.endpoint.flavor == .eucalyptus && keyType == "rsa" ? nil : keyType
      let created = try withCloudErrors {
        try blocking { try await client.createKeyPair(name: cloudName, type: sendType) }
      }
      var material = created.keyMaterial
      defer { SecureBytes.wipe(&material) }
      do {
        let parsed = try KeyFile.parse(material, passphrase: SecureBytes?.none)
        guard let key = parsed.privateKey else { throw CLIError("the cloud returned no private key") }
        let binding = VaultBinding(
          cloud: resolved.bindingName, account: resolved.target.account, region: region,
          keyName: created.keyPair.keyName,
          cloudFingerprint: created.keyPair.keyFingerprint, keyPairID: created.keyPair.keyPairId ?? "",
          flags: .createdByCloud)
        let added = try withVaultErrors {
          try store.add(
            [VaultNewKey(name: name, privateKey: key, comment: cloudName, bindings: [binding])],
            passphrase: passphrase)
        }
        try writeStdout(
          "created \(name): key pair \(created.keyPair.keyName) in \(region), fingerprint \(created.keyPair.keyFingerprint)"
            + (created.keyPair.keyPairId.map { ", id \($0)" } ?? "") + "\n")
        let matches =
          added.first?.fingerprints.contains {
            $0.value.lowercased() == created.keyPair.keyFingerprint.lowercased()
          } ?? false
        if !matches {
          printError("keyhold: warning: no fingerprint formula of the stored key gives the cloud's value")
        }
      } catch {
        // Nobody holds the private key: remove the key pair again rather than leave a key no one can use.
        _ = try? blocking { try await client.deleteKeyPair(name: cloudName) }
        printError("keyhold: key pair \(cloudName) deleted again in \(region) because the vault did not take the key")
        throw error
      }
    }
  }
}
