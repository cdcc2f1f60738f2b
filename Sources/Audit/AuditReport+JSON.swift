/// The JSON form of a report (`keyhold audit --json`). Field names are stable; every field is always present,
/// `null` when it does not apply (an empty name, account or region is absent too, never ""); times are RFC 3339 UTC
/// strings. Documented in keyhold-audit(1); the convention is keyhold(1)'s JSON OUTPUT.
///
/// ```
/// { "version": 1, "generated_at": "<RFC 3339 UTC>", "exit_status": 0|1|2,
///   "summary": { "<state>": <count>, ... },
///   "errors": [ { "endpoint", "account", "region", "kind", "message" } ],
///   "entries": [ { "state", "endpoint", "account", "region", "key_name", "local_key", "matched_kind",
///                  "cloud_fingerprint", "key_pair_id", "recorded_key_pair_id",
///                  "moved_to": { "endpoint", "account", "region", "key_name" } | null,
///                  "instances_in_use", "error_kind", "error", "discovered",
///                  "bound_as": { "endpoint", "account", "region", "key_name" } | null,
///                  "as_of": "<RFC 3339 UTC>" | null, "note" } ] }
/// ```
extension FilteredAuditReport {
  /// The format version in the `version` field.
  public static let jsonVersion = 1

  /// Renders the report as pretty-printed JSON with a trailing newline.
  public func renderJSON() -> String {
    var o = "{\n"
    o += "  \"version\": \(Self.jsonVersion),\n"
    o += "  \"generated_at\": \(j(AuditTime.rfc3339(full.generatedAt))),\n"
    o += "  \"exit_status\": \(full.exitStatus),\n"
    let counts = full.counts
    let summary = AuditState.allCases.map { "\"\($0.rawValue)\": \(counts[$0] ?? 0)" }.joined(separator: ", ")
    o += "  \"summary\": {\(summary)},\n"
    let errors = full.failures.sorted(by: { $0.key < $1.key }).map { scope, f in
      "    {\"endpoint\": \(jn(scope.endpoint)), \"account\": \(jn(scope.account)), \"region\": \(jn(scope.region)), "
        + "\"kind\": \(jn(f.kind)), \"message\": \(jn(f.message))}"
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
      field("endpoint", jn(e.scope.endpoint))
      field("account", jn(e.scope.account))
      field("region", jn(e.scope.region))
      field("key_name", jn(e.keyName))
      field("local_key", jn(e.localKey))
      field("matched_kind", jn(e.matchedKind))
      field("cloud_fingerprint", jn(e.cloudFingerprint))
      field("key_pair_id", jn(e.keyPairId))
      field("recorded_key_pair_id", jn(e.recordedKeyPairId))
      let moved = e.movedTo.map {
        "{\"endpoint\": \(jn($0.scope.endpoint)), \"account\": \(jn($0.scope.account)), "
          + "\"region\": \(jn($0.scope.region)), \"key_name\": \(jn($0.keyName))}"
      }
      field("moved_to", moved ?? "null")
      field("instances_in_use", e.instancesInUse.map(String.init) ?? "null")
      field("error_kind", j(e.failure?.kind))
      field("error", j(e.failure?.message))
      field("discovered", e.discovered ? "true" : "false")
      let bound = e.boundAs.map {
        "{\"endpoint\": \(jn($0.scope.endpoint)), \"account\": \(jn($0.scope.account)), "
          + "\"region\": \(jn($0.scope.region)), \"key_name\": \(jn($0.keyName))}"
      }
      field("bound_as", bound ?? "null")
      field("as_of", e.asOf.map { j(AuditTime.rfc3339($0)) } ?? "null")
      field("note", jn(e.note))
      o += "}"
    }
    o += shown.isEmpty ? "]\n" : "\n  ]\n"
    o += "}\n"
    return o
  }
}

/// A JSON string literal, or `null` for nil and "" (keyhold's JSON never carries empty strings for absent values).
func jn(_ s: String?) -> String {
  guard let s, !s.isEmpty else { return "null" }
  return j(s)
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
