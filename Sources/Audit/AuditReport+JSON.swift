/// The JSON form of a report (`keyhold audit --json`). Field names are stable; every field is always present,
/// `null` when it does not apply. Documented in keyhold-audit(1).
///
/// ```
/// { "version": 1, "generated_at": <unix seconds>, "exit_status": 0|1|2,
///   "summary": { "<state>": <count>, ... },
///   "errors": [ { "endpoint", "account", "region", "kind", "message" } ],
///   "entries": [ { "state", "endpoint", "account", "region", "key_name", "local_key", "matched_kind",
///                  "cloud_fingerprint", "key_pair_id", "recorded_key_pair_id",
///                  "moved_to": { "endpoint", "account", "region", "key_name" } | null,
///                  "instances_in_use", "error_kind", "error", "discovered" } ] }
/// ```
extension FilteredAuditReport {
  /// The format version in the `version` field.
  public static let jsonVersion = 1

  /// Renders the report as pretty-printed JSON with a trailing newline.
  public func renderJSON() -> String {
    var o = "{\n"
    o += "  \"version\": \(Self.jsonVersion),\n"
    o += "  \"generated_at\": \(full.generatedAt),\n"
    o += "  \"exit_status\": \(full.exitStatus),\n"
    let counts = full.counts
    let summary = AuditState.allCases.map { "\"\($0.rawValue)\": \(counts[$0] ?? 0)" }.joined(separator: ", ")
    o += "  \"summary\": {\(summary)},\n"
    let errors = full.failures.sorted(by: { $0.key < $1.key }).map { scope, f in
      "    {\"endpoint\": \(j(scope.endpoint)), \"account\": \(j(scope.account)), \"region\": \(j(scope.region)), "
        + "\"kind\": \(j(f.kind)), \"message\": \(j(f.message))}"
    }
    o += "  \"errors\": [" + (errors.isEmpty ? "" : "\n" + errors.joined(separator: ",\n") + "\n  ") + "],\n"
    o.reserveCapacity(o.utf8.count + shown.count * 420)
    o += "  \"entries\": ["
    for (n, e) in shown.enumerated() {
      o += n == 0 ? "\n    {" : ",\n    {"
      var firstField = true
      func field(_ name: String, _ value: String) {
        o += firstField ? "\"" : ", \""
        o += name
        o += "\": "
        o += value
        firstField = false
      }
      field("state", j(e.state.rawValue))
      field("endpoint", j(e.scope.endpoint))
      field("account", j(e.scope.account))
      field("region", j(e.scope.region))
      field("key_name", j(e.keyName))
      field("local_key", j(e.localKey))
      field("matched_kind", j(e.matchedKind))
      field("cloud_fingerprint", j(e.cloudFingerprint))
      field("key_pair_id", j(e.keyPairId))
      field("recorded_key_pair_id", j(e.recordedKeyPairId))
      let moved = e.movedTo.map {
        "{\"endpoint\": \(j($0.scope.endpoint)), \"account\": \(j($0.scope.account)), "
          + "\"region\": \(j($0.scope.region)), \"key_name\": \(j($0.keyName))}"
      }
      field("moved_to", moved ?? "null")
      field("instances_in_use", e.instancesInUse.map(String.init) ?? "null")
      field("error_kind", j(e.failure?.kind))
      field("error", j(e.failure?.message))
      field("discovered", e.discovered ? "true" : "false")
      o += "}"
    }
    o += shown.isEmpty ? "]\n" : "\n  ]\n"
    o += "}\n"
    return o
  }
}

/// A JSON string literal (RFC 8259 escaping), or `null`.
func j(_ s: String?) -> String {
  guard let s else { return "null" }
  // Fast path: nothing to escape (the usual case for names, ids and fingerprints).
  if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) { return "\"" + s + "\"" }
  var out = "\""
  for u in s.unicodeScalars {
    switch u {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if u.value < 0x20 {
        let hex = String(u.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        out.unicodeScalars.append(u)
      }
    }
  }
  return out + "\""
}
