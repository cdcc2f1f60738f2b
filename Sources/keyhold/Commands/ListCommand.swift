import ArgumentParser
import Audit
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold list`: the keys in the vault, without the passphrase.
struct ListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the keys in the vault (no passphrase needed).")

  @OptionGroup var vault: VaultOptions
  @OptionGroup var verification: VerifyOptions

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Flag(help: "List the retired keys (restorable with `keyhold restore`) instead.")
  var retired = false

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      let (view, _) = try verification.read(vault)
      if retired { return try listRetired(view, path: store.path) }
      if json {
        struct Document: Encodable {
          var vault: String
          var keys: [VaultPresentation.KeyJSON]
        }
        let keys = view.entries.sorted { $0.name < $1.name }.map { VaultPresentation.KeyJSON($0, view: view) }
        try writeStdout(try VaultPresentation.json(Document(vault: store.path, keys: keys)))
      } else if !view.entries.isEmpty {
        try writeStdout(VaultPresentation.table(view))
      }
    }
  }

  func listRetired(_ view: VaultPublicView, path: String) throws {
    let now = Int64(time(nil))
    let list = view.retired.sorted { ($0.entry.name, $0.retiredAt) < ($1.entry.name, $1.retiredAt) }
    if json {
      struct Retired: Encodable {
        var name: String
        var id: String
        var type: String
        var fingerprint: String
        var retiredAt: String
        var expiresAt: String
        var expired: Bool
        var reason: String?

        enum CodingKeys: String, CodingKey {
          case name, id, type, fingerprint, expired, reason
          case retiredAt = "retired_at"
          case expiresAt = "expires_at"
        }

        func encode(to encoder: any Encoder) throws {
          var c = encoder.container(keyedBy: CodingKeys.self)
          try c.encode(name, forKey: .name)
          try c.encode(id, forKey: .id)
          try c.encode(type, forKey: .type)
          try c.encode(fingerprint, forKey: .fingerprint)
          try c.encode(retiredAt, forKey: .retiredAt)
          try c.encode(expiresAt, forKey: .expiresAt)
          try c.encode(expired, forKey: .expired)
          try c.encode(reason, forKey: .reason)
        }
      }
      struct Document: Encodable {
        var vault: String
        var retired: [Retired]
      }
      let rows = list.map {
        Retired(
          name: $0.entry.name, id: $0.entry.id.description, type: $0.entry.algorithm,
          fingerprint: VaultPresentation.sha256($0.entry), retiredAt: AuditTime.rfc3339($0.retiredAt),
          expiresAt: AuditTime.rfc3339($0.expiresAt), expired: $0.isExpired(at: now), reason: nonEmpty($0.reason))
      }
      return try writeStdout(try VaultPresentation.json(Document(vault: path, retired: rows)))
    }
    guard !list.isEmpty else { return }
    var rows = [["NAME", "TYPE", "FINGERPRINT", "RETIRED", "RESTORABLE UNTIL", "REASON"]]
    for r in list {
      rows.append([
        r.entry.name, r.entry.algorithm, VaultPresentation.sha256(r.entry), AuditTime.short(r.retiredAt, now: now),
        r.isExpired(at: now) ? "expired (purged at the next retire)" : AuditTime.short(r.expiresAt, now: now),
        r.reason,
      ])
    }
    try writeStdout(TextTable.render(rows))
  }
}
