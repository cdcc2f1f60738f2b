import ArgumentParser
import Audit
import Cloud
import KeyholdCore
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold sync`: lists the cloud's key pairs and stores what they mean for the vault's keys (no passphrase).
struct SyncCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sync",
    abstract: "Compare the cloud's key pairs with the vault and record the result (no passphrase needed).")

  @OptionGroup var cloud: CloudOptions

  @Flag(name: .long, help: "Query every region DescribeRegions lists.")
  var allRegions = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The vault file (default: $KEYHOLD_VAULT, else $XDG_DATA_HOME/keyhold/vault).", valueName: "path"))
  var vault: String?

  func validate() throws {
    if allRegions && !cloud.region.isEmpty { throw ValidationError("give --region or --all-regions, not both") }
  }

  func run() throws {
    try runReportingErrors {
      let outcome = try runSync(cloud: cloud.resolve(), vault: vault, allRegions: allRegions)
      let report = outcome.report
      for line in outcome.resolved { try writeStdout("found \(line) (its region was unknown)\n") }
      for line in outcome.learned { try writeStdout("bound \(line) (found by fingerprint)\n") }
      try writeStdout(
        report.filtered(to: []).summaryLine
          + " (\(outcome.regions.count) region\(outcome.regions.count == 1 ? "" : "s"), account "
          + "\(outcome.account?.id ?? "unknown"))\n")
      if let instances = outcome.instances {
        try writeStdout("instances: \(instances.seen) seen, host keys learned for \(instances.hostKeysLearned)\n")
      }
      try reportFailures(report)
      // A policy that denies DescribeInstances leaves the instances unknown, as it leaves instance counts
      // unknown: said, but not a failed sync. Any other failure is one, as for key pairs.
      var instanceTrouble = outcome.instancesError != nil
      for (region, e) in (outcome.instances?.failures ?? [:]).sorted(by: { $0.key < $1.key }) {
        let denied = e.kind == "unauthorized"
        instanceTrouble = instanceTrouble || !denied
        printError("keyhold: \(denied ? "note" : "error"): \(region): instances not listed: \(e)")
      }
      if let message = outcome.instancesError { printError("keyhold: error: instances: \(message)") }
      // The files `keyhold ssh-config` names as IdentityFile follow the vault (keyhold-ssh-config(1)).
      refreshPublicKeyFiles(VaultStore(path: try VaultLocation.resolve(option: vault)))
      if report.exitStatus == 2 || instanceTrouble { throw ExitCode(2) }
    }
  }
}

/// Runs a sync the way `keyhold sync` and `keyhold audit` do, with a progress line on a terminal.
func runSync(cloud: CloudContext, vault: String?, allRegions: Bool) throws -> Sync.Outcome {
  let store = VaultStore(path: try VaultLocation.resolve(option: vault))
  let showProgress = isatty(2) == 1
  let request = Sync.Request(
    allRegions: allRegions,
    progress: { done, total in
      if showProgress && total > 3 {
        printProgress(done == total ? nil : "keyhold: listing key pairs: \(done)/\(total) regions")
      }
    })
  return try runUseCase { try await Sync(context: cloud, store: store).run(request) }
}

/// Prints one `keyhold: error:` line per region that could not be listed, with a hint for the common causes.
func reportFailures(_ report: AuditReport) throws {
  for (scope, f) in report.failures.sorted(by: { $0.key < $1.key }) {
    printError("keyhold: error: \(scope.region): \(f.message)")
  }
  let kinds = Set(report.failures.values.map(\.kind))
  if kinds.contains("auth") {
    printError("keyhold: hint: check the access key and secret key (AWS_ACCESS_KEY_ID, --profile, euca2ools user)")
  } else if kinds.contains("network") || kinds.contains("timeout") {
    printError("keyhold: hint: check the endpoint URL and that it is reachable (--endpoint, AWS_ENDPOINT_URL)")
  }
}

/// Rewrites the current terminal line on standard error (nil clears it).
func printProgress(_ line: String?) {
  var s = "\r\u{1B}[K"
  if let line { s += line }
  _ = s.withCString { write(2, $0, strlen($0)) }
}
