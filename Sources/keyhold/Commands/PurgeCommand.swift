import ArgumentParser
import Audit
import KeyholdCore
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold purge`: destroys retired keys for good.
struct PurgeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "purge",
    abstract: "Destroy retired keys for good, after confirmation (asks for the vault passphrase).")

  @OptionGroup var vault: VaultOptions

  @Argument(help: "Retired keys to destroy (default: every retired key).", completion: KeyNameCompletion.retired)
  var names: [String] = []

  @Flag(name: .long, help: "Only the retired keys whose retention has ended.")
  var expired = false

  @Flag(name: .long, help: "Do not ask for confirmation.")
  var yes = false

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let retirement = Retirement(store: store)
      let now = Int64(time(nil))
      let chosen = names.isEmpty ? nil : names
      let doomed = try withUseCaseErrors { try retirement.planPurge(names: chosen, expiredOnly: expired, now: now) }
      guard !doomed.isEmpty else {
        try writeStdout("nothing to purge\n")
        return
      }
      if !yes {
        let list = doomed.map(\.entry.name).joined(separator: ", ")
        guard
          let answer = confirm(
            "Destroy \(doomed.count) retired key\(doomed.count == 1 ? "" : "s") (\(list)) for good? This cannot be undone."
          )
        else { throw CLIError("refusing to destroy keys without confirmation", hint: "pass --yes") }
        guard answer else { return }
      }
      let passphrase = try vault.readPassphrase()
      let purged = try withKDFProgress(store) {
        try withUseCaseErrors { try retirement.purge(names: chosen, expiredOnly: expired, passphrase: passphrase) }
      }
      for r in purged {
        try writeStdout("purged \(r.entry.name) (retired \(AuditTime.short(r.retiredAt, now: now)))\n")
      }
    }
  }
}
