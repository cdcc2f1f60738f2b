import ArgumentParser
import Audit
import KeyholdCore
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

  @Flag(
    name: .long,
    help:
      "Ask the cloud again first (as `keyhold sync` does) instead of showing the last sync; implied by the cloud options and when no sync has been recorded."
  )
  var refresh = false

  @Flag(name: .long, help: "Query every region DescribeRegions lists (implies --refresh).")
  var allRegions = false

  @Flag(name: .long, help: "Print JSON instead of a table.")
  var json = false

  @Option(
    name: .customLong("state"),
    help: ArgumentHelp(
      "Show only entries in this state; repeat for several (in-sync, id-changed, replaced, orphaned, moved, "
        + "cloud-only, pending, unverifiable, error).", valueName: "state"),
    completion: .list(AuditState.allCases.map(\.rawValue)))
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
  }

  func run() throws {
    var status: Int32 = 0
    try runReportingErrors {
      let store = VaultStore(path: try VaultLocation.resolve(option: vault))
      let cloudOptions = cloud.profile != nil || cloud.endpoint != nil || !cloud.region.isEmpty || cloud.eucalyptus
      var report: AuditReport?
      if !(refresh || allRegions || cloudOptions) {
        // The vault must exist, but its keys are not needed: the last report is self-contained.
        guard store.exists else { throw cliError(.notFound(store.path)) }
        report = try withUseCaseErrors { try AuditStore(vaultPath: store.path).load() }
      }
      if report == nil {
        // Never synced (or asked to refresh): ask the cloud now, when it can be reached.
        let context: CloudContext
        do {
          context = try cloud.resolve()
        } catch let e as CLIError where !refresh && !cloudOptions {
          throw CLIError(
            "no sync has been recorded for this vault yet, and no cloud is configured: \(e.message)",
            hint:
              "configure credentials (AWS_PROFILE, ~/.aws/credentials, euca2ools) or run `keyhold sync` with --endpoint",
            exitCode: 2)
        }
        report = try runSync(cloud: context, vault: vault, allRegions: allRegions).report
      }
      guard let report else { return }
      let shown = report.filtered(to: Set(states.compactMap(AuditState.init(rawValue:))))
      try writeStdout(json ? shown.renderJSON() : shown.renderText(now: Int64(time(nil))))
      try reportFailures(report)
      status = report.exitStatus
    }
    if status != 0 { throw ExitCode(status) }
  }
}
