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
      var sync = CloudSync(cloud: resolved, store: store, allRegions: allRegions, progress: isatty(2) == 1)
      if let delays = Self.retryDelays(VaultLocation.currentEnvironment()) { sync.pendingRetryDelays = delays }
      let outcome = try sync.run()
      let report = outcome.report
      try writeStdout(
        report.filtered(to: []).summaryLine
          + " (\(outcome.regions.count) region\(outcome.regions.count == 1 ? "" : "s"))\n")
      try reportFailures(report)
      if report.exitStatus == 2 { throw ExitCode(2) }
    }
  }

  /// Test-only: `KEYHOLD_SYNC_RETRY_DELAYS` ("0.1,0.1"), the pauses before re-listing pending key pairs, so tests of
  /// the retry need not wait the real 1, 2 and 4 seconds. Not documented; nil when unset or malformed.
  static func retryDelays(_ env: [String: String]) -> [Double]? {
    guard let text = env["KEYHOLD_SYNC_RETRY_DELAYS"], !text.isEmpty else { return nil }
    let delays = text.split(separator: ",").compactMap { Double($0) }
    guard delays.count == text.split(separator: ",").count, delays.count <= 10,
      delays.allSatisfy({ $0 >= 0 && $0 <= 60 })
    else { return nil }
    return delays
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
