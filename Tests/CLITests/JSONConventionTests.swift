import Foundation
import Testing

/// Every `--json` output follows keyhold(1) JSON OUTPUT: snake_case names, RFC 3339 UTC times, `null` for absent
/// values (never left out, never ""), stable order.
@Suite struct JSONConventionTests {
  /// Fields whose keys are data (fingerprint kinds such as `sha256-b64`), not field names.
  static let dataKeyed: Set<String> = ["fingerprints"]
  static let timeFields: Set<String> = ["created", "checked_at", "generated_at"]

  /// Every field name in `value`, recursively, with its value.
  static func fields(_ value: Any, path: String = "") -> [(path: String, name: String, value: Any)] {
    var out: [(String, String, Any)] = []
    if let dict = value as? [String: Any] {
      for (k, v) in dict {
        out.append((path, k, v))
        if !dataKeyed.contains(k) { out += fields(v, path: path + "." + k) }
      }
    } else if let array = value as? [Any] {
      for v in array { out += fields(v, path: path + "[]") }
    }
    return out
  }

  static func checkConvention(_ document: Any) {
    let rfc3339 = ISO8601DateFormatter()
    for (path, name, value) in fields(document) {
      #expect(
        name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "field \(path).\(name) is not snake_case")
      #expect((value as? String) != "", "field \(path).\(name) is an empty string, not null")
      if timeFields.contains(name), !(value is NSNull) {
        let text = value as? String
        #expect(text?.hasSuffix("Z") == true && text.flatMap(rfc3339.date(from:)) != nil, "\(path).\(name): \(value)")
      }
    }
  }

  @Test func listJSONFollowsTheConvention() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    // A key from euca2ools output without --region: its binding has no region, account or key pair id.
    #expect(try s.run(["import"], stdin: try VaultSandbox.fixture("wrappers/euca-rsa.txt")).status == 0)
    let plain = try s.keygen("plain", type: "ed25519")
    #expect(try s.run(["import", plain]).status == 0)
    let r = try s.run(["list", "--json"])
    #expect(r.status == 0)
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    Self.checkConvention(doc)
    let keys = try #require(doc["keys"] as? [[String: Any]])
    #expect(keys.map { $0["name"] as? String } == ["euca-fixture", "plain"])
    let euca = keys[0]
    #expect(
      Set(euca.keys) == [
        "name", "id", "type", "bits", "comment", "created", "fingerprint", "fingerprints", "bindings", "orphaned",
      ])
    let binding = try #require((euca["bindings"] as? [[String: Any]])?.first)
    #expect(
      Set(binding.keys) == [
        "cloud", "account", "region", "key_name", "cloud_fingerprint", "key_pair_id", "created", "flags", "status",
      ])
    #expect(binding["region"] is NSNull && binding["account"] is NSNull && binding["key_pair_id"] is NSNull)
    #expect(binding["status"] is NSNull)
    #expect(binding["key_name"] as? String == "euca-fixture")
    #expect(euca["bits"] as? Int == 2048)
  }

  @Test func listJSONIsTheSameBytesEveryTime() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    #expect(try s.run(["import"], stdin: try VaultSandbox.fixture("wrappers/aws-json-rsa.txt")).status == 0)
    let first = try s.run(["list", "--json"]).stdout
    let second = try s.run(["list", "--json"]).stdout
    #expect(first == second)
    // Fields are sorted: "bindings" before "bits" before "comment".
    let b = try #require(first.range(of: "\"bindings\"")?.lowerBound)
    let c = try #require(first.range(of: "\"comment\"")?.lowerBound)
    #expect(b < c)
  }

  @Test func showJSONFollowsTheConvention() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    #expect(try s.run(["import"], stdin: try VaultSandbox.fixture("wrappers/aws-text-rsa.txt")).status == 0)
    let r = try s.run(["show", "--json", "fixture-text"])
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    Self.checkConvention(doc)
    #expect(doc["name"] as? String == "fixture-text")
  }

  @Test func fingerprintJSONFollowsTheConvention() throws {
    let plainKey = CLIHarness.repoRoot.appendingPathComponent("testdata/wrappers/aws-json-ed25519.txt")
    let r = try CLIHarness.run(["fingerprint", "--json", plainKey.path])
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    Self.checkConvention(doc)
    let cloud = try #require(doc["cloud"] as? [String: Any])
    #expect(Set(cloud.keys) == ["wrapper", "key_name", "key_pair_id", "fingerprint", "matches"])
    #expect(doc.keys.contains("comment"))
  }

  @Test func fingerprintJSONHasANullCloudForAPlainKeyFile() throws {
    let dir = try CLIHarness.makeTempDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("k").path
    let made = try CLIHarness.run(
      ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path], executable: URL(fileURLWithPath: "/usr/bin/ssh-keygen"))
    #expect(made.status == 0)
    let r = try CLIHarness.run(["fingerprint", "--json", path])
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    Self.checkConvention(doc)
    #expect(doc["cloud"] is NSNull)
    #expect(doc["comment"] is NSNull)
  }

  @Test func theConventionIsWrittenInTheManPage() throws {
    let man = try String(contentsOf: CLIHarness.repoRoot.appendingPathComponent("man/keyhold.1"), encoding: .utf8)
    let section = try #require(man.components(separatedBy: ".Sh JSON OUTPUT").dropFirst().first)
    #expect(section.contains("snake_case"))
    #expect(section.contains("RFC 3339"))
    #expect(section.contains(".Li null"))
  }
}
