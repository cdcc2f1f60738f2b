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
    let entries = shown.map { e -> String in
      let moved = e.movedTo.map {
        "{\"endpoint\": \(j($0.scope.endpoint)), \"account\": \(j($0.scope.account)), "
          + "\"region\": \(j($0.scope.region)), \"key_name\": \(j($0.keyName))}"
      }
      let fields: [(String, String)] = [
        ("state", j(e.state.rawValue)), ("endpoint", j(e.scope.endpoint)), ("account", j(e.scope.account)),
        ("region", j(e.scope.region)), ("key_name", j(e.keyName)), ("local_key", j(e.localKey)),
        ("matched_kind", j(e.matchedKind)), ("cloud_fingerprint", j(e.cloudFingerprint)),
        ("key_pair_id", j(e.keyPairId)), ("recorded_key_pair_id", j(e.recordedKeyPairId)),
        ("moved_to", moved ?? "null"), ("instances_in_use", e.instancesInUse.map(String.init) ?? "null"),
        ("error_kind", j(e.failure?.kind)), ("error", j(e.failure?.message)), ("discovered", String(e.discovered)),
      ]
      return "    {" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
    o += "  \"entries\": [" + (entries.isEmpty ? "" : "\n" + entries.joined(separator: ",\n") + "\n  ") + "]\n"
    o += "}\n"
    return o
  }
}

/// A JSON string literal (RFC 8259 escaping), or `null`.
func j(_ s: String?) -> String {
  guard let s else { return "null" }
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
