import ArgumentParser
import Audit
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
      let resolved = try cloud.resolve()
      let store = VaultStore(path: try VaultLocation.resolve(option: vault))
      let sync = CloudSync(cloud: resolved, store: store, allRegions: allRegions, progress: isatty(2) == 1)
      let outcome = try sync.run()
      let report = outcome.report
      try writeStdout(
        report.filtered(to: []).summaryLine
          + " (\(outcome.regions.count) region\(outcome.regions.count == 1 ? "" : "s"))\n")
      try reportFailures(report)
      if report.exitStatus == 2 { throw ExitCode(2) }
    }
  }
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
