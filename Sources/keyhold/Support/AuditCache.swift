import Audit
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The last full audit report, kept beside the vault (`VAULT.audit`) so `keyhold audit` can show it without asking
/// the cloud again.
///
/// The vault's status section holds the per-binding results (what `prune` and the agent use); this file adds what
/// has no vault entry to hang on, such as cloud-only key pairs and failed regions. It holds no secrets and is
/// rewritten whole (temp file + rename) on every sync, in the line format of `AuditReport.encodeRecords()`.
struct AuditCache {
  /// The vault file this cache belongs to.
  var vaultPath: String

  /// The cache file.
  var path: String { vaultPath + ".audit" }

  /// Writes the report atomically, mode 0600.
  func save(_ report: AuditReport) throws {
    let data = Array(report.encodeRecords().utf8)
    let tmp = path + ".tmp.\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw CLIError("cannot write \(tmp): \(String(cString: strerror(errno)))") }
    do {
      try writeAll(fd, data)
      fsync(fd)
      close(fd)
    } catch {
      close(fd)
      unlink(tmp)
      throw error
    }
    guard rename(tmp, path) == 0 else {
      unlink(tmp)
      throw CLIError("cannot replace \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// The last report, or nil when there is none.
  func load() throws -> AuditReport? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    do {
      return try AuditReport(records: String(decoding: data, as: UTF8.self))
    } catch {
      throw CLIError(
        "cannot read the last audit in \(path)", hint: "run `keyhold audit --refresh` to ask the cloud again")
    }
  }

  /// Drops the entries of keys that left the vault from the last report, so `keyhold audit` stops showing them
  /// before the next sync. Best effort: a missing or unreadable report is left alone.
  func forget(localKeys names: Set<String>) {
    guard var last = try? load() else { return }
    last.entries.removeAll { $0.localKey.map(names.contains) ?? false }
    try? save(last)
  }
}
