import ArgumentParser
import KeyholdCore
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold prune --orphaned`: retires keys whose every key pair the last syncs proved gone.
struct PruneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prune",
    abstract:
      "Retire keys the last sync proved orphaned, sparing keys running instances may use (asks for the passphrase).")

  @OptionGroup var vault: VaultOptions
  @OptionGroup var retention: RetentionOptions

  @Flag(name: .long, help: "Retire keys whose every cloud key pair is gone (required).")
  var orphaned = false

  @Flag(name: .long, help: "Do not ask for confirmation.")
  var yes = false

  @Flag(name: .long, help: "Retire orphaned keys even when instances launched with them may still exist.")
  var forceInUse = false

  func validate() throws {
    guard orphaned else { throw ValidationError("say what to prune: --orphaned") }
  }

  func run() throws {
    try runReportingErrors {
      let retirement = Retirement(store: try vault.store(), retention: retention.seconds)
      let plan = try withUseCaseErrors { try retirement.planPrune(forceInUse: forceInUse) }
      for k in plan.kept { printError("keyhold: kept \(k.name): \(k.reason)") }
      guard !plan.victims.isEmpty else {
        try writeStdout("nothing to prune\n")
        return
      }
      let victims = plan.victims
      if !yes {
        guard
          let answer = confirm(
            "Retire \(victims.count) orphaned key\(victims.count == 1 ? "" : "s") (\(victims.joined(separator: ", ")))?"
          )
        else { throw CLIError("refusing to retire keys without confirmation", hint: "pass --yes") }
        guard answer else { return }
      }
      let passphrase = try vault.readPassphrase()
      let result = try withKDFProgress(retirement.store) {
        try withUseCaseErrors { try retirement.prune(victims, passphrase: passphrase) }
      }
      refreshPublicKeyFiles(retirement.store)
      try printRetirement(result, now: Int64(time(nil)))
    }
  }
}
