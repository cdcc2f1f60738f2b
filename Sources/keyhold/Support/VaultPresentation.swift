import Audit
import Foundation
import KeyholdCore
import SSHKeys
import Vault

/// nil for "", which keyhold's JSON writes as `null` (keyhold(1) JSON OUTPUT).
func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }

/// How vault entries look in `list`, `show` and their `--json` forms.
enum VaultPresentation {
  /// OpenSSH's `SHA256:` fingerprint of an entry's public key.
  static func sha256(_ entry: VaultEntry) -> String {
    if let key = try? PublicKey(blob: entry.publicKeyBlob), !key.sha256Fingerprint.isEmpty {
      return key.sha256Fingerprint
    }
    // The `sha256-b64` cloud formula is the same digest with base64 padding.
    if let b64 = entry.fingerprint("sha256-b64") { return "SHA256:" + b64.filter { $0 != "=" } }
    return "-"
  }

  /// The key size in bits, when the public key parses.
  static func bits(_ entry: VaultEntry) -> Int? {
    guard let key = try? PublicKey(blob: entry.publicKeyBlob), key.bits > 0 else { return nil }
    return key.bits
  }

  /// A UTC timestamp in ISO 8601 form.
  static func time(_ seconds: Int64) -> String {
    let f = ISO8601DateFormatter()
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
  }

  /// Binding flags as words; a binding a sync found by fingerprint (not sealed) is `learned`.
  static func flagWords(_ b: KeyBindingState) -> [String] {
    guard let flags = b.sealed?.flags else { return ["learned"] }
    var out: [String] = []
    if flags.contains(.createdByCloud) { out.append("created-by-cloud") }
    if flags.contains(.importedToCloud) { out.append("imported-to-cloud") }
    if flags.contains(.accountFromCloud) { out.append("account-from-cloud") }
    return out
  }

  /// `region:name` (`?` for a region not known yet), with the endpoint and account when known.
  static func bindingLabel(_ b: KeyBindingState) -> String {
    let place = "\(b.place.region.isEmpty ? "?" : b.place.region):\(b.keyName)"
    let cloud = [b.place.endpoint, b.place.account].filter { !$0.isEmpty }.joined(separator: " ")
    return cloud.isEmpty ? place : "\(cloud) \(place)"
  }

  /// Whether the last syncs proved the entry orphaned (the rule `prune` and `--hide-orphaned` use).
  static func isOrphaned(_ e: VaultEntry, _ view: VaultPublicView) -> Bool {
    KeyEvidence.isOrphaned(KeyBindings.of(e, in: view))
  }

  /// The aligned table of `keyhold list`.
  static func table(_ view: VaultPublicView) -> String {
    let header = ["NAME", "TYPE", "FINGERPRINT", "BINDINGS"]
    var rows: [[String]] = []
    for e in view.entries.sorted(by: { $0.name < $1.name }) {
      let type = bits(e).map { "\(e.algorithm) \($0)" } ?? e.algorithm
      var bindings = KeyBindings.of(e, in: view).map { b -> String in
        "\(bindingLabel(b)) (\(b.record?.stateName ?? "not synced"))"
      }.joined(separator: ", ")
      if bindings.isEmpty { bindings = "-" }
      if isOrphaned(e, view) { bindings += " [orphaned]" }
      rows.append([e.name, type, sha256(e), bindings])
    }
    return TextTable.render([header] + rows)
  }

  /// The JSON document of `keyhold list --json` and `keyhold show --json`, in the convention of keyhold(1) JSON
  /// OUTPUT: snake_case names, RFC 3339 UTC times, `null` for an absent value (never left out, never "").
  struct KeyJSON: Encodable {
    struct Status: Encodable {
      var state: String
      var checkedAt: String
      var matchedFingerprintKind: String?
      var instancesInUse: Int?
      var observedKeyPairId: String?
      var detail: String?
      var orphaned: Bool

      enum CodingKeys: String, CodingKey {
        case state
        case checkedAt = "checked_at"
        case matchedFingerprintKind = "matched_fingerprint_kind"
        case instancesInUse = "instances_in_use"
        case observedKeyPairId = "observed_key_pair_id"
        case detail, orphaned
      }

      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
        try c.encode(checkedAt, forKey: .checkedAt)
        try c.encode(matchedFingerprintKind, forKey: .matchedFingerprintKind)
        try c.encode(instancesInUse, forKey: .instancesInUse)
        try c.encode(observedKeyPairId, forKey: .observedKeyPairId)
        try c.encode(detail, forKey: .detail)
        try c.encode(orphaned, forKey: .orphaned)
      }
    }
    struct Binding: Encodable {
      var cloud: String?
      var account: String?
      var region: String?
      var keyName: String
      var cloudFingerprint: String?
      var keyPairId: String?
      var created: String?
      var flags: [String]
      var status: Status?

      enum CodingKeys: String, CodingKey {
        case cloud, account, region
        case keyName = "key_name"
        case cloudFingerprint = "cloud_fingerprint"
        case keyPairId = "key_pair_id"
        case created, flags, status
      }

      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cloud, forKey: .cloud)
        try c.encode(account, forKey: .account)
        try c.encode(region, forKey: .region)
        try c.encode(keyName, forKey: .keyName)
        try c.encode(cloudFingerprint, forKey: .cloudFingerprint)
        try c.encode(keyPairId, forKey: .keyPairId)
        try c.encode(created, forKey: .created)
        try c.encode(flags, forKey: .flags)
        try c.encode(status, forKey: .status)
      }
    }
    var name: String
    var id: String
    var type: String
    var bits: Int?
    var comment: String?
    var created: String
    var fingerprint: String
    var fingerprints: [String: String]
    var bindings: [Binding]
    var orphaned: Bool

    enum CodingKeys: String, CodingKey {
      case name, id, type, bits, comment, created, fingerprint, fingerprints, bindings, orphaned
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(name, forKey: .name)
      try c.encode(id, forKey: .id)
      try c.encode(type, forKey: .type)
      try c.encode(bits, forKey: .bits)
      try c.encode(comment, forKey: .comment)
      try c.encode(created, forKey: .created)
      try c.encode(fingerprint, forKey: .fingerprint)
      try c.encode(fingerprints, forKey: .fingerprints)
      try c.encode(bindings, forKey: .bindings)
      try c.encode(orphaned, forKey: .orphaned)
    }

    init(_ e: VaultEntry, view: VaultPublicView) {
      name = e.name
      id = e.id.description
      type = e.algorithm
      bits = VaultPresentation.bits(e)
      comment = nonEmpty(e.comment)
      created = VaultPresentation.time(e.createdAt)
      fingerprint = VaultPresentation.sha256(e)
      fingerprints = Dictionary(e.fingerprints.map { ($0.kind, $0.value) }, uniquingKeysWith: { a, _ in a })
      orphaned = VaultPresentation.isOrphaned(e, view)
      bindings = KeyBindings.of(e, in: view).map { b in
        let s = b.record.map { r in
          Status(
            state: r.stateName, checkedAt: VaultPresentation.time(r.checkedAt),
            matchedFingerprintKind: nonEmpty(r.matchedFingerprintKind), instancesInUse: r.instancesInUse,
            observedKeyPairId: nonEmpty(r.observedKeyPairID), detail: nonEmpty(r.detail),
            orphaned: r.flags.contains(.orphaned))
        }
        // "" in a binding means unknown (keyhold-vault(5)): null. Where a sync found an incomplete binding, its
        // place is shown.
        return Binding(
          cloud: nonEmpty(b.place.endpoint), account: nonEmpty(b.place.account), region: nonEmpty(b.place.region),
          keyName: b.keyName,
          cloudFingerprint: nonEmpty(b.sealed?.cloudFingerprint ?? "")
            ?? b.record.flatMap { nonEmpty($0.observedFingerprint) },
          keyPairId: nonEmpty(b.sealed?.keyPairID ?? "") ?? b.record.flatMap { nonEmpty($0.observedKeyPairID) },
          created: (b.sealed?.createdAt ?? 0) == 0 ? nil : VaultPresentation.time(b.sealed!.createdAt),
          flags: VaultPresentation.flagWords(b), status: s)
      }
    }
  }

  /// Encodes a value as pretty, key-sorted JSON plus a newline.
  static func json<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }

  /// The multi-line description of `keyhold show`.
  static func details(_ e: VaultEntry, view: VaultPublicView) -> String {
    var lines: [(String, String)] = [
      ("name", e.name), ("id", e.id.description),
      ("type", bits(e).map { "\(e.algorithm) \($0) bits" } ?? e.algorithm), ("comment", e.comment),
      ("created", time(e.createdAt)), ("fingerprint", sha256(e)),
    ]
    if let key = try? PublicKey(blob: e.publicKeyBlob) {
      let line = key.openSSHLine(comment: e.comment)
      if !line.isEmpty { lines.append(("public key", line)) }
    }
    for f in e.fingerprints { lines.append(("  " + f.kind, f.value)) }
    for b in KeyBindings.of(e, in: view) {
      var text = bindingLabel(b)
      let fingerprint = b.sealed?.cloudFingerprint ?? b.record?.observedFingerprint ?? ""
      let id = b.sealed?.keyPairID ?? b.record?.observedKeyPairID ?? ""
      if !fingerprint.isEmpty { text += " fingerprint \(fingerprint)" }
      if !id.isEmpty { text += " id \(id)" }
      let words = flagWords(b)
      if !words.isEmpty { text += " [\(words.joined(separator: ","))]" }
      lines.append(("binding", text))
      if let r = b.record {
        var s = "\(r.stateName) at \(time(r.checkedAt))"
        if !r.matchedFingerprintKind.isEmpty { s += ", matched \(r.matchedFingerprintKind)" }
        if let n = r.instancesInUse { s += ", \(n) instance\(n == 1 ? "" : "s") in use" }
        if !r.detail.isEmpty { s += ": \(r.detail)" }
        lines.append(("  last sync", s))
      }
    }
    if isOrphaned(e, view) { lines.append(("flags", "orphaned")) }
    let width = (lines.map { $0.0.count }.max() ?? 0) + 2
    return lines.map { ($0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }.joined(
      separator: "\n") + "\n"
  }
}
