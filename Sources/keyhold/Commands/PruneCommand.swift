import ArgumentParser
import Vault

/// `keyhold prune --orphaned`: removes keys whose every key pair the last sync found gone.
struct PruneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prune",
    abstract: "Remove keys the last sync found orphaned, sparing keys running instances use (asks for the passphrase).")

  @OptionGroup var vault: VaultOptions

  @Flag(name: .long, help: "Remove keys whose every cloud key pair is gone (required).")
  var orphaned = false

  @Flag(name: .long, help: "Do not ask for confirmation.")
  var yes = false

  @Flag(name: .long, help: "Remove orphaned keys even when instances launched with them still exist.")
  var forceInUse = false

  func validate() throws {
    guard orphaned else { throw ValidationError("say what to prune: --orphaned") }
  }

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let view = try withVaultErrors { try store.readPublic() }
      var victims: [String] = []
      for entry in view.entries where view.isOrphaned(entry) {
        let records = entry.bindings.compactMap { view.status.record(for: $0, of: entry.id) }
        let inUse = records.reduce(0) { $0 + ($1.instancesInUse ?? 0) }
        let unknown = records.contains { $0.instancesInUse == nil }
        if !forceInUse && (inUse > 0 || unknown) {
          let places = records.filter { ($0.instancesInUse ?? 1) > 0 }.map { "\($0.keyName) in \($0.region)" }
          let why =
            inUse > 0
            ? "\(inUse) instance\(inUse == 1 ? " was" : "s were") launched with \(places.joined(separator: ", "))"
            : "the last sync could not tell whether instances use it"
          printError(
            "keyhold: kept \(entry.name): \(why); its private key may be the only way in (--force-in-use removes it)")
          continue
        }
        victims.append(entry.name)
      }
      guard !victims.isEmpty else {
        try writeStdout("nothing to prune\n")
        return
      }
      if !yes {
        guard
          let answer = confirm(
            "Remove \(victims.count) orphaned key\(victims.count == 1 ? "" : "s") (\(victims.joined(separator: ", ")))?"
          )
        else { throw CLIError("refusing to remove keys without confirmation", hint: "pass --yes") }
        guard answer else { return }
      }
      let passphrase = try vault.readPassphrase()
      for name in victims {
        try withVaultErrors { _ = try store.remove(name: name, passphrase: passphrase) }
        try writeStdout("removed \(name)\n")
      }
      AuditCache(vaultPath: store.path).forget(localKeys: Set(victims))
    }
  }
}
