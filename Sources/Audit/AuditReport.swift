/// The result of an audit: one entry per (local key, cloud key pair), the scopes that failed, and an exit status.
public struct AuditReport: Sendable, Equatable, Codable {
  /// Entries, sorted by scope, key name, local key.
  public var entries: [AuditEntry]
  /// Scopes that could not be listed, with why.
  public var failures: [CloudScope: ListingFailure]
  /// When the audit ran (Unix seconds).
  public var generatedAt: Int64

  /// Creates a report.
  public init(entries: [AuditEntry], failures: [CloudScope: ListingFailure], generatedAt: Int64) {
    self.entries = entries
    self.failures = failures
    self.generatedAt = generatedAt
  }

  /// 2 when any scope failed, else 1 when any entry shows drift, else 0 (all in sync).
  public var exitStatus: Int32 {
    if !failures.isEmpty || entries.contains(where: { $0.state == .error }) { return 2 }
    return entries.contains { $0.state.isDrift } ? 1 : 0
  }

  /// How many entries each state has (states with none are left out).
  public var counts: [AuditState: Int] {
    entries.reduce(into: [:]) { $0[$1.state, default: 0] += 1 }
  }

  /// The same report showing only entries in `states` (the exit status still reflects every entry).
  public func filtered(to states: Set<AuditState>) -> FilteredAuditReport {
    FilteredAuditReport(full: self, shown: states.isEmpty ? entries : entries.filter { states.contains($0.state) })
  }

  /// Records how many instances use each orphaned or replaced key pair (DescribeInstances answers per scope), without
  /// reconciling again.
  public mutating func applyInstanceCounts(_ counts: [CloudScope: [String: Int]]) {
    for i in entries.indices where entries[i].state == .orphaned || entries[i].state == .replaced {
      if let n = counts[entries[i].scope]?[entries[i].keyName] { entries[i].instancesInUse = n }
    }
  }

  /// The key pair names whose instance use should be asked about (orphaned and replaced), per scope.
  public var instanceQueries: [CloudScope: [String]] {
    var out: [CloudScope: Set<String>] = [:]
    for e in entries where e.state == .orphaned || e.state == .replaced {
      out[e.scope, default: []].insert(e.keyName)
    }
    return out.mapValues { $0.sorted() }
  }
}

/// A report with a subset of its entries shown (`audit --state`).
public struct FilteredAuditReport: Sendable, Equatable {
  /// The whole report.
  public var full: AuditReport
  /// The entries to render.
  public var shown: [AuditEntry]
}
