import Audit
import Foundation
import Testing

struct RendererTests {
  static var report: AuditReport {
    let keys = [
      rsa,
      LocalKey(name: "old", fingerprints: ["md5-spki": "0f"], bindings: [KeyBinding(scope: scopeA, keyName: "old")]),
    ]
    return Reconciler.reconcile(
      keys,
      [
        listing(
          scopeA,
          [
            ListedKeyPair(keyName: "web", keyFingerprint: "aa:bb:cc", keyPairId: "key-1"),
            ListedKeyPair(keyName: "stray \"q\"", keyFingerprint: "99"),
          ], counts: ["old": 2]),
        CloudListing(scope: scopeB, result: .failure(ListingFailure(kind: "auth", message: "authentication failed"))),
      ], options: .init(now: now))
  }

  @Test func textTableIsAligned() {
    let text = Self.report.filtered(to: []).renderText()
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines[0] == "endpoint aws, account AKIDA, as of 08:00 UTC")
    #expect(
      Self.report.filtered(to: []).renderText(now: now + 240).hasPrefix(
        "endpoint aws, account AKIDA, as of 08:00 UTC (4 minutes ago)\n"))
    #expect(lines[1].hasPrefix("STATE       REGION     KEY PAIR"))
    let column = lines[1].range(of: "KEY PAIR")!.lowerBound.utf16Offset(in: lines[1])
    for line in lines[2..<6] {
      #expect(line.count > column)
    }
    #expect(text.contains("orphaned    us-east-1  old"))
    #expect(text.contains("in use by 2 instances"))
    #expect(text.contains("error       eu-west-1  -"))
    #expect(text.contains("error       eu-west-1  -          -          -           authentication failed\n"))
    #expect(lines.last == "summary: 1 in-sync, 1 orphaned, 1 cloud-only; 1 region failed")
  }

  @Test func jsonIsValidAndStable() throws {
    let json = Self.report.filtered(to: []).renderJSON()
    let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(obj["version"] as? Int == 1)
    #expect(obj["exit_status"] as? Int == 2)
    let entries = try #require(obj["entries"] as? [[String: Any]])
    #expect(entries.count == 3)
    let keysOfFirst = Set(entries[0].keys)
    #expect(
      keysOfFirst == [
        "state", "endpoint", "account", "region", "key_name", "local_key", "matched_kind",
        "cloud_fingerprint", "key_pair_id", "recorded_key_pair_id", "moved_to", "instances_in_use", "error_kind",
        "error", "discovered", "bound_as", "as_of", "note",
      ])
    #expect(entries.contains { $0["key_name"] as? String == "stray \"q\"" && $0["state"] as? String == "cloud-only" })
    #expect(entries.contains { $0["state"] as? String == "orphaned" && $0["instances_in_use"] as? Int == 2 })
    let errors = try #require(obj["errors"] as? [[String: Any]])
    #expect(errors.first?["kind"] as? String == "auth")
    let summary = try #require(obj["summary"] as? [String: Int])
    #expect(summary["in-sync"] == 1 && summary["moved"] == 0)
  }

  @Test func stateFilterKeepsTheFullExitStatus() {
    let f = Self.report.filtered(to: [.orphaned])
    #expect(f.shown.map(\.state) == [.orphaned])
    #expect(f.full.exitStatus == 2)
    #expect(!f.renderText().contains("cloud-only    "))
  }

  @Test func reportRoundTripsThroughCodable() throws {
    let r = Self.report
    let data = try JSONEncoder().encode(r)
    #expect(try JSONDecoder().decode(AuditReport.self, from: data) == r)
  }

  @Test func reportRoundTripsThroughRecordLines() throws {
    var r = Self.report
    r.entries.append(
      AuditEntry(
        state: .moved, scope: scopeA, keyName: "tab\there\\and\nnewline", localKey: "k", matchedKind: "md5-ssh",
        movedTo: KeyPairLocation(scope: scopeB, keyName: "\\N"), instancesInUse: 0,
        failure: ListingFailure(kind: "x", message: ""),
        boundAs: KeyPairLocation(scope: CloudScope(endpoint: "", account: "", region: ""), keyName: "imp"), asOf: 5,
        note: "why"))
    let text = r.encodeRecords()
    #expect(try AuditReport(records: text) == r)
    #expect(text.split(separator: "\n").count == 1 + r.failures.count + r.entries.count)
    #expect(throws: AuditRecordsError.unsupportedVersion("9")) { try AuditReport(records: "keyhold-audit\t9\t0\n") }
    #expect(throws: AuditRecordsError.malformed(line: 2, "unknown record")) {
      try AuditReport(records: "keyhold-audit\t2\t0\nE\tin-sync\n")
    }
    #expect(throws: AuditRecordsError.self) { try AuditReport(records: "{}") }
  }
}
