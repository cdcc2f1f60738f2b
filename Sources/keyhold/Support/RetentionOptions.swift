import ArgumentParser
import Audit
import KeyholdCore
import Vault

/// `--retain-days`: how long a retired key stays restorable (keyhold-prune(1), keyhold-remove(1)).
struct RetentionOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Keep retired keys restorable for this many days (default 30); `keyhold purge` destroys them sooner.",
      valueName: "days"))
  var retainDays: Int = 30

  func validate() throws {
    guard (0...3650).contains(retainDays) else { throw ValidationError("--retain-days must be between 0 and 3650") }
  }

  /// The retention in seconds.
  var seconds: Int64 { Int64(retainDays) * 86400 }
}

/// `retired NAME (restorable until 2026-12-31 19:30 UTC: keyhold restore NAME)`.
func retiredLine(_ r: VaultRetiredEntry, now: Int64) -> String {
  "retired \(r.entry.name) (restorable until \(AuditTime.short(r.expiresAt, now: now)): keyhold restore \(r.entry.name))"
}

/// Prints what a retirement did: the keys retired and the expired ones it purged in the same write.
func printRetirement(_ result: VaultRetireResult, now: Int64) throws {
  for r in result.retired { try writeStdout(retiredLine(r, now: now) + "\n") }
  for r in result.purged {
    try writeStdout("purged \(r.entry.name) (retired \(AuditTime.short(r.retiredAt, now: now)), its retention ended)\n")
  }
}
