import ArgumentParser
import Audit
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold audit`: reports orphaned, replaced, cloud-only and in-sync keys (no passphrase).
struct AuditCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Report which keys are in sync, orphaned, replaced or cloud-only (no passphrase needed).",
    discussion: "Exit status: 0 all in sync, 1 drift found, 2 a region could not be checked.")

  @OptionGroup var cloud: CloudOptions

  @Flag(name: .long, help: "Ask the cloud again first (as `keyhold sync` does) instead of showing the last sync.")
  var refresh = false

  @Flag(name: .long, help: "Query every region DescribeRegions lists (with --refresh).")
  var allRegions = false

  @Flag(name: .long, help: "Print JSON instead of a table.")
  var json = false

  @Option(
    name: .customLong("state"),
    help: ArgumentHelp(
      "Show only entries in this state; repeat for several (in-sync, id-changed, replaced, orphaned, moved, "
        + "cloud-only, pending, unverifiable, error).", valueName: "state"))
  var states: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The vault file (default: $KEYHOLD_VAULT, else $XDG_DATA_HOME/keyhold/vault).", valueName: "path"))
  var vault: String?

  func validate() throws {
    for s in states where AuditState(rawValue: s) == nil {
      throw ValidationError(
        "unknown state '\(s)'; choose from \(AuditState.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    let cloudOptions = cloud.profile != nil || cloud.endpoint != nil || !cloud.region.isEmpty || cloud.eucalyptus
    if (allRegions || cloudOptions) && !refresh {
      throw ValidationError("--all-regions, --profile, --endpoint, --region and --eucalyptus need --refresh")
    }
  }

  func run() throws {
    var status: Int32 = 0
    try runReportingErrors {
      let store = VaultStore(path: try VaultLocation.resolve(option: vault))
      let report: AuditReport
      if refresh {
        let resolved = try cloud.resolve()
        let sync = CloudSync(cloud: resolved, store: store, allRegions: allRegions, progress: isatty(2) == 1)
        report = try sync.run().report
      } else {
        // The vault must exist, but its keys are not needed: the last report is self-contained.
        guard store.exists else { throw cliError(.notFound(store.path)) }
        guard let last = try AuditCache(vaultPath: store.path).load() else {
          throw CLIError(
            "no sync has been recorded for this vault yet", hint: "run `keyhold sync` or `keyhold audit --refresh`",
            exitCode: 2)
        }
        report = last
      }
      let shown = report.filtered(to: Set(states.compactMap(AuditState.init(rawValue:))))
      try writeStdout(json ? shown.renderJSON() : shown.renderText())
      try reportFailures(report)
      status = report.exitStatus
    }
    if status != 0 { throw ExitCode(status) }
  }
}
