import Audit
import Foundation
import KeyholdSystem
import Vault

/// The last full audit report, kept beside the vault (`VAULT.audit`) so `keyhold audit` can show it without asking
/// the cloud again.
///
/// The vault's status section holds the per-binding results (what `prune` and the agent use); this file adds what
/// has no vault entry to hang on, such as cloud-only key pairs and failed regions. It holds no secrets and is
/// replaced whole with the vault's own durability (KeyholdSystem's `AtomicFile`), in the line format of
/// `AuditReport.encodeRecords()`.
public struct AuditStore: Sendable {
  /// The vault file this store belongs to.
  public var vaultPath: String

  /// Creates the store of a vault.
  public init(vaultPath: String) { self.vaultPath = vaultPath }

  /// The report file.
  public var path: String { vaultPath + ".audit" }

  /// Writes the report durably, mode 0600.
  public func save(_ report: AuditReport) throws(VaultError) {
    do {
      try AtomicFile.replace(path: path, contents: Array(report.encodeRecords().utf8), mode: 0o600)
    } catch {
      throw VaultError(error)
    }
  }

  /// The last report, or nil when there is none or it was written by another format version (the next sync
  /// writes a new one).
  public func load() throws(KeyholdError) -> AuditReport? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    do {
      return try AuditReport(records: String(decoding: data, as: UTF8.self))
    } catch .unsupportedVersion {
      return nil
    } catch {
      throw KeyholdError(
        "cannot read the last audit in \(path): \(error)", hint: "run `keyhold sync` to ask the cloud again")
    }
  }

  /// Drops the entries of keys that left the vault from the last report, so `keyhold audit` stops showing them
  /// before the next sync. Best effort: a missing or unreadable report is left alone.
  public func forget(localKeys names: Set<String>) {
    guard !names.isEmpty, var last = try? load() else { return }
    last.entries.removeAll { $0.localKey.map(names.contains) ?? false }
    try? save(last)
  }

  /// The new report, with the previous report's entries for the scopes that failed this time carried over and
  /// marked with when they were found (``AuditEntry/asOf``): a failed sync keeps the last good results.
  public static func merge(_ new: AuditReport, previous: AuditReport?) -> AuditReport {
    guard let previous, !new.failures.isEmpty else { return new }
    var merged = new
    let failed = Set(new.failures.keys)
    for var e in previous.entries where failed.contains(e.scope) && e.state != .error {
      e.asOf = e.asOf ?? previous.generatedAt
      merged.entries.append(e)
    }
    return merged
  }
}
