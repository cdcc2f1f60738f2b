/// The aligned text table people read (`keyhold audit` on a terminal).
extension FilteredAuditReport {
  /// Renders the table, then one row per failed scope, then a summary line.
  ///
  /// Columns: STATE, ENDPOINT and ACCOUNT (only when the report spans more than one), REGION, KEY PAIR, LOCAL KEY,
  /// MATCH (the fingerprint kind that matched), DETAIL (instances in use, where a key moved, old and new ids, why a
  /// scope failed).
  public func renderText() -> String {
    let scopes = Set(full.entries.map(\.scope)).union(full.failures.keys)
    let wide = Set(scopes.map(\.endpoint)).count > 1 || Set(scopes.map(\.account)).count > 1
    var rows: [[String]] = []
    for e in shown where e.state != .error {
      var row = [e.state.rawValue]
      if wide { row += [e.scope.endpoint, e.scope.account] }
      row += [e.scope.region, e.keyName, e.localKey ?? "-", e.matchedKind ?? "-", Self.detail(e)]
      rows.append(row)
    }
    let showErrors = shown.contains { $0.state == .error } || shown.count == full.entries.count
    if showErrors {
      for (scope, f) in full.failures.sorted(by: { $0.key < $1.key }) {
        let unchecked = full.entries.filter { $0.scope == scope && $0.state == .error }.count
        var row = ["error"]
        if wide { row += [scope.endpoint, scope.account] }
        let note = unchecked > 0 ? " (\(unchecked) key\(unchecked == 1 ? "" : "s") not checked)" : ""
        row += [scope.region, "-", "-", "-", "\(f.message)\(note)"]
        rows.append(row)
      }
    }
    var header = ["STATE"]
    if wide { header += ["ENDPOINT", "ACCOUNT"] }
    header += ["REGION", "KEY PAIR", "LOCAL KEY", "MATCH", "DETAIL"]
    var out = ""
    if !wide, let scope = scopes.sorted().first {
      out += "endpoint \(scope.endpoint), account \(scope.account)\n"
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

  static func detail(_ e: AuditEntry) -> String {
    var parts: [String] = []
    switch e.state {
    case .idChanged: parts.append("key pair id \(e.recordedKeyPairId ?? "?") is now \(e.keyPairId ?? "?")")
    case .moved:
      if let m = e.movedTo {
        parts.append(m.scope.region == e.scope.region ? "now named \(m.keyName)" : "now \(m.scope.region)/\(m.keyName)")
      }
    case .replaced: parts.append("cloud fingerprint \(e.cloudFingerprint ?? "?") matches no local formula")
    case .pending: parts.append("created moments ago, not listed yet")
    case .unverifiable: parts.append("no fingerprint to compare")
    case .cloudOnly: parts.append(e.localKey == nil ? "no local key" : "local key has no private half")
    case .inSync: if e.discovered { parts.append("newly matched") }
    case .orphaned, .error: break
    }
    if let n = e.instancesInUse, n > 0 { parts.append("in use by \(n) instance\(n == 1 ? "" : "s")") }
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
