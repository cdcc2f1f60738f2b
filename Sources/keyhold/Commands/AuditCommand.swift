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

  @Option(
    name: .long,
    help: ArgumentHelp(
      "List the keys no signature in the signature log used for DAYS days (90 when no number follows), with their cloud key pairs, as prune candidates; nothing is pruned.",
      valueName: "days"))
  var unused: Int?

  /// `--unused` takes an optional number: with none after it (the end, or another option), 90 is meant.
  static func withUnusedDefault(_ arguments: [String]) -> [String] {
    guard arguments.first == "audit" else { return arguments }
    var out: [String] = []
    for (i, word) in arguments.enumerated() {
      out.append(word)
      if word == "--" { return out + arguments[(i + 1)...] }
      if word == "--unused" && (i + 1 == arguments.count || arguments[i + 1].hasPrefix("-")) { out.append("90") }
    }
    return out
  }

  func validate() throws {
    if let unused, unused < 0 { throw ValidationError("--unused takes a number of days, 0 or more") }
    for s in states where AuditState(rawValue: s) == nil {
      throw ValidationError(
        "unknown state '\(s)'; choose from \(AuditState.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  func run() throws {
    if let unused {
      try runReportingErrors { try listUnused(days: unused) }
      return
    }
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
      if !json, store.exists, let view = try? store.readPublic(), let usage = LastUsePresentation.usage() {
        try writeStdout(Self.lastUseText(view, usage))
      }
      try reportFailures(report)
      status = report.exitStatus
    }
    if status != 0 { throw ExitCode(status) }
  }

  /// Each vault key's last use from the signature log (keyhold-log(1)), after the report.
  static func lastUseText(_ view: VaultPublicView, _ usage: KeyUsage) -> String {
    guard !view.entries.isEmpty else { return "" }
    let since = usage.since.map { " (the signature log begins \(LastUsePresentation.day($0)))" } ?? ""
    var out = "\nLast use\(since):\n"
    let width = view.entries.map(\.name.count).max() ?? 0
    for e in view.entries.sorted(by: { $0.name < $1.name }) {
      let text = usage.last(e).map { LastUsePresentation.text($0, usage: usage) } ?? "none in the log"
      out += "  " + e.name + String(repeating: " ", count: width - e.name.count + 2) + text + "\n"
    }
    return out
  }

  /// `--unused DAYS`: the prune candidates. Reads only the vault's public half and the log; changes nothing.
  func listUnused(days: Int) throws {
    let store = VaultStore(path: try VaultLocation.resolve(option: vault))
    guard store.exists else { throw cliError(.notFound(store.path)) }
    let view = try withVaultErrors { try store.readPublic() }
    let files = try SignatureLogLocation.resolve()
    let usage = KeyUsage.read(files)
    let now = Double(time(nil))
    let unused = usage.unused(in: view, days: days, now: now)
    if json {
      try writeStdout(try VaultPresentation.json(unused.map(UnusedJSON.init)))
      return
    }
    var out = ""
    if let since = usage.since, now - since < Double(days) * 86400 {
      out += "note: the signature log begins \(LastUsePresentation.day(since)), less than \(days) days ago\n"
    } else if usage.since == nil {
      out += "note: the signature log (\(files.path)) is empty\n"
    }
    if unused.isEmpty {
      out += "every key signed in the last \(days) days\n"
    } else {
      out += "keys unused for \(days) days (prune candidates; see keyhold prune):\n"
      let width = unused.map(\.name.count).max() ?? 0
      for u in unused {
        var line = "  " + u.name + String(repeating: " ", count: width - u.name.count + 2)
        line += u.lastUse.map { "last used " + LastUsePresentation.text($0, usage: usage) } ?? "never used in the log"
        if !u.keyPairs.isEmpty { line += "; key pairs " + u.keyPairs.joined(separator: ", ") }
        out += line + "\n"
      }
    }
    try writeStdout(out)
  }

  /// One prune candidate in `--unused --json`.
  struct UnusedJSON: Encodable {
    let u: KeyUsage.Unused

    enum CodingKeys: String, CodingKey {
      case name, fingerprint
      case lastUse = "last_use"
      case keyPairs = "key_pairs"
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(u.name, forKey: .name)
      try c.encode(u.fingerprint, forKey: .fingerprint)
      try c.encode(u.lastUse.map(LastUsePresentation.UseJSON.init), forKey: .lastUse)
      try c.encode(u.keyPairs, forKey: .keyPairs)
    }
  }
}
