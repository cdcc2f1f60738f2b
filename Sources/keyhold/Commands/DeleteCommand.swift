import ArgumentParser
import Cloud
import Vault

/// `keyhold delete NAME`: DeleteKeyPair, then (after confirmation) removal from the vault.
struct DeleteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete",
    abstract: "Delete a key's cloud key pair and, after confirmation, the key itself (asks for the passphrase).")

  @OptionGroup var cloud: CloudOptions
  @OptionGroup var vault: VaultOptions

  @Argument(help: "The key's name in the vault.")
  var name: String

  @Flag(name: .long, help: "Remove the key from the vault too without asking.")
  var yes = false

  @Flag(name: .long, help: "Keep the key in the vault; only delete the cloud key pair.")
  var keepLocal = false

  @Flag(name: .long, help: "Remove the key even though running instances were launched with it.")
  var forceInUse = false

  func validate() throws {
    if yes && keepLocal { throw ValidationError("give --yes or --keep-local, not both") }
    guard cloud.region.count <= 1 else { throw ValidationError("give at most one --region") }
  }

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      guard let entry = view.entry(named: name) else { throw cliError(.noSuchKey(name)) }
      let resolved = try cloud.resolve()
      let candidates = entry.bindings.filter {
        resolved.covers($0)
          && (resolved.explicitRegions.isEmpty || resolved.region(of: $0.region) == resolved.explicitRegions[0])
      }
      guard candidates.count <= 1 else {
        throw CLIError(
          "\(name) is bound to \(candidates.count) key pairs on this cloud",
          hint:
            "choose one with --region (\(candidates.map { resolved.region(of: $0.region) }.joined(separator: ", ")))")
      }
      let binding = candidates.first
      let region =
        binding.map { resolved.region(of: $0.region) } ?? resolved.explicitRegions.first ?? resolved.defaultRegion
      let keyName = binding?.keyName ?? name
      let client = resolved.client(region: region, transport: URLSessionTransport())

      let existed = try withCloudErrors { try blocking { try await client.deleteKeyPair(name: keyName) } }
      try writeStdout(
        existed ? "deleted key pair \(keyName) in \(region)\n" : "the cloud had no key pair \(keyName) in \(region)\n")

      var remove = yes
      if !yes && !keepLocal {
        guard let answer = confirm("Remove \(name) from the vault too?") else {
          printError("keyhold: kept \(name) in the vault (no terminal to confirm; pass --yes to remove it)")
          return try dropBinding(binding, store: store)
        }
        remove = answer
      }
      if remove && !forceInUse {
        let inUse =
          try withCloudErrors { try blocking { try await client.instanceCounts(keyNames: [keyName]) } }[keyName] ?? 0
        if inUse > 0 {
          printError(
            "keyhold: kept \(name) in the vault: \(inUse) instance\(inUse == 1 ? " was" : "s were") launched with "
              + "\(keyName) in \(region) and its private key may be the only way in (--force-in-use removes it anyway)")
          remove = false
        }
      }
      if remove {
        let passphrase = try vault.readPassphrase()
        try withVaultErrors { _ = try store.remove(name: name, passphrase: passphrase) }
        try writeStdout("removed \(name)\n")
        AuditCache(vaultPath: store.path).forget(localKeys: [name])
      } else {
        try dropBinding(binding, store: store)
      }
    }
  }

  /// Forgets the deleted key pair, keeping the key.
  func dropBinding(_ binding: VaultBinding?, store: VaultStore) throws {
    guard let binding else { return }
    let view = try withVaultErrors { try store.readPublic() }
    guard let entry = view.entry(named: name) else { return }
    let passphrase = try vault.readPassphrase()
    try withVaultErrors {
      try store.setBindings(entry.bindings.filter { !$0.sameKeyPair(as: binding) }, of: name, passphrase: passphrase)
    }
  }
}
