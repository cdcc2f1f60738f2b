import Audit
import Foundation
import Testing

/// `keyhold audit --json` follows keyhold(1) JSON OUTPUT: RFC 3339 UTC times, `null` (never "") for absent values.
struct AuditJSONConventionTests {
  static func render(_ keys: [LocalKey], _ listings: [CloudListing], at time: Int64) throws -> [String: Any] {
    let json = Reconciler.reconcile(keys, listings, options: .init(now: time)).filtered(to: []).renderJSON()
    return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
  }

  @Test(
    "generated_at is an RFC 3339 UTC string",
    arguments: [
      (Int64(0), "1970-01-01T00:00:00Z"), (1_800_000_000, "2027-01-15T08:00:00Z"),
      (951_782_400, "2000-02-29T00:00:00Z"), (4_102_444_799, "2099-12-31T23:59:59Z"),
    ])
  func generatedAtIsRFC3339(seconds: Int64, expected: String) throws {
    let doc = try Self.render([], [], at: seconds)
    #expect(doc["generated_at"] as? String == expected)
    let parsed = ISO8601DateFormatter().date(from: expected)
    #expect(parsed.map { Int64($0.timeIntervalSince1970) } == seconds)
  }

  @Test func emptyNamesAccountsAndRegionsAreNull() throws {
    // A region the vault never learned ("" in a binding) and an account the profile does not name.
    let scope = CloudScope(endpoint: "aws", account: "", region: "")
    let key = LocalKey(
      name: "web", fingerprints: ["md5-spki": "11:22"], bindings: [KeyBinding(scope: scope, keyName: "web")])
    let doc = try Self.render(
      [key], [listing(scope, [ListedKeyPair(keyName: "web", keyFingerprint: "11:22", keyPairId: "")])], at: now)
    let entries = try #require(doc["entries"] as? [[String: Any]])
    #expect(!entries.isEmpty)
    for e in entries {
      #expect(e["account"] is NSNull)
      #expect(e["region"] is NSNull)
      #expect(e["key_pair_id"] is NSNull)
      for (k, v) in e { #expect((v as? String) != "", "\(k) is an empty string") }
    }
  }

  @Test func everyFieldNameIsSnakeCase() throws {
    let doc = try Self.render([rsa], [listing(scopeA, [])], at: now)
    var names: [String] = Array(doc.keys)
    for e in doc["entries"] as? [[String: Any]] ?? [] { names += e.keys }
    #expect(!names.isEmpty)
    for n in names { #expect(n.allSatisfy { $0.isLowercase || $0 == "_" }, "\(n)") }
  }
}
