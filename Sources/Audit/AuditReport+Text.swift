/// The aligned text table people read (`keyhold audit` on a terminal).
extension FilteredAuditReport {
  /// Renders the table, then one row per failed scope, then a summary line.
  ///
  /// Columns: STATE, ENDPOINT and ACCOUNT (only when the report spans more than one), REGION, KEY PAIR, LOCAL KEY,
  /// MATCH (the fingerprint kind that matched), DETAIL (instances in use, where a key moved, old and new ids, why a
  /// scope failed).
  ///
  /// The first line says where and when: `endpoint E, account A, as of 19:30 UTC (4 minutes ago)` (the account is
  /// the id the cloud reported, `unknown` when it gave none). `now` is the reader's clock.
  public func renderText(now: Int64? = nil) -> String {
    let scopes = Set(full.entries.map(\.scope)).union(full.failures.keys)
    let wide = Set(scopes.map(\.endpoint)).count > 1 || Set(scopes.map(\.account)).count > 1
    var rows: [[String]] = []
    for e in shown where e.state != .error {
      var row = [e.state.rawValue]
      if wide { row += [e.scope.endpoint, e.scope.account] }
      row += [
        e.scope.region.isEmpty ? "?" : e.scope.region, e.keyName, e.localKey ?? "-", e.matchedKind ?? "-",
        Self.detail(e, now: now ?? full.generatedAt),
      ]
      rows.append(row)
    }
    let showErrors = shown.contains { $0.state == .error } || shown.count == full.entries.count
    if showErrors {
      for (scope, f) in full.failures.sorted(by: { $0.key < $1.key }) {
        let unchecked = full.entries.filter { $0.scope == scope && $0.state == .error }.count
        var row = ["error"]
        if wide { row += [scope.endpoint, scope.account] }
        let kept = full.entries.filter { $0.scope == scope && $0.asOf != nil }.count
        var note = unchecked > 0 ? " (\(unchecked) key\(unchecked == 1 ? "" : "s") not checked)" : ""
        if kept > 0 { note += " (last good results kept for \(kept) key pair\(kept == 1 ? "" : "s"))" }
        row += [scope.region, "-", "-", "-", "\(f.message)\(note)"]
        rows.append(row)
      }
    }
    var header = ["STATE"]
    if wide { header += ["ENDPOINT", "ACCOUNT"] }
    header += ["REGION", "KEY PAIR", "LOCAL KEY", "MATCH", "DETAIL"]
    var out = ""
    let when =
      "as of \(AuditTime.short(full.generatedAt, now: now ?? full.generatedAt))"
      + (now.map { " (\(AuditTime.age(full.generatedAt, now: $0)))" } ?? "")
    if !wide, let scope = scopes.sorted().first {
      let account = scope.account.isEmpty ? "unknown" : scope.account
      out += "endpoint \(scope.endpoint.isEmpty ? "unknown" : scope.endpoint), account \(account), \(when)\n"
    } else {
      out += "\(when)\n"
    }
    out += Self.align([header] + rows)
    out += summaryLine + "\n"
    return out
  }

  /// `summary: 3 in-sync, 1 orphaned; 1 region failed` — counts over the whole report.
  public var summaryLine: String {
    let counts = full.counts
    var parts = AuditState.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
    if parts.isEmpty { parts = ["no key pairs"] }
    var line = "summary: " + parts.joined(separator: ", ")
    if !full.failures.isEmpty {
      line += "; \(full.failures.count) region\(full.failures.count == 1 ? "" : "s") failed"
    }
    return line
  }

  static func detail(_ e: AuditEntry, now: Int64) -> String {
    var parts: [String] = []
    if let b = e.boundAs, e.state != .orphaned && e.state != .unverifiable && e.state != .pending {
      parts.append("found by fingerprint; the vault had no \(b.scope.region.isEmpty ? "region" : "place") for it")
    }
    switch e.state {
    case .idChanged: parts.append("key pair id \(e.recordedKeyPairId ?? "?") is now \(e.keyPairId ?? "?")")
    case .moved:
      if let m = e.movedTo {
        parts.append(m.scope.region == e.scope.region ? "now named \(m.keyName)" : "now \(m.scope.region)/\(m.keyName)")
      }
    case .replaced: parts.append("cloud fingerprint \(e.cloudFingerprint ?? "?") matches no local formula")
    case .pending: parts.append("created moments ago, not listed yet")
    case .unverifiable: parts.append(e.note ?? "no fingerprint to compare")
    case .cloudOnly: parts.append(e.localKey == nil ? "no local key" : "local key has no private half")
    case .inSync: if e.discovered { parts.append("newly matched") }
    case .orphaned, .error: break
    }
    if let n = e.instancesInUse, n > 0 { parts.append("in use by \(n) instance\(n == 1 ? "" : "s")") }
    if e.instancesInUse == nil && (e.state == .orphaned || e.state == .replaced) {
      parts.append("instance use unknown")
    }
    if let t = e.asOf { parts.append("kept from the sync at \(AuditTime.short(t, now: now))") }
    if let f = e.failure { parts.append(f.message) }
    return parts.joined(separator: "; ")
  }

  static func align(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    var out = ""
    for r in rows {
      var line = ""
      for (i, c) in r.enumerated() {
        line += c
        if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - c.count + 2) }
      }
      while line.hasSuffix(" ") { line.removeLast() }
      out += line + "\n"
    }
    return out
  }
}
