import Foundation
import Testing

/// `keyhold show` and `keyhold audit` read each key's last use from the signature log; `audit --unused DAYS` lists
/// the keys unused that long as prune candidates, and prunes nothing.
@Suite struct KeyLastUseCLITests {
  /// A vault with keys `alpha` and `beta`, and a signature log in which only alpha signed (two days ago), beta was
  /// refused just now, and the oldest record is 200 days old.
  struct Setup {
    let s: VaultSandbox
    let state: String
    let alpha: String
    let beta: String

    init() throws {
      s = try VaultSandbox()
      let a = try s.keygen("a", type: "ed25519")
      let b = try s.keygen("b", type: "ed25519")
      #expect(try s.run(["import", a, "--name", "alpha"]).status == 0)
      #expect(try s.run(["import", b, "--name", "beta"]).status == 0)
      func fingerprint(_ pub: String) throws -> String {
        let r = try CLIHarness.run(["-lf", pub], executable: URL(fileURLWithPath: "/usr/bin/ssh-keygen"))
        return String(r.stdout.split(separator: " ")[1])
      }
      alpha = try fingerprint(a + ".pub")
      beta = try fingerprint(b + ".pub")
      state = s.dir.path + "/state"
      try FileManager.default.createDirectory(atPath: state + "/keyhold", withIntermediateDirectories: true)
      let f = ISO8601DateFormatter()
      let now = Date()
      func at(_ daysAgo: Double) -> String { f.string(from: now.addingTimeInterval(-daysAgo * 86400)) }
      let lines = [
        #"{"v":1,"time":"\#(at(200))","event":"sign","fingerprint":"SHA256:old","outcome":"signed"}"#,
        #"{"v":1,"time":"\#(at(2))","event":"sign","key":"alpha","fingerprint":"\#(alpha)","outcome":"signed","#
          + #""process":"ssh","host":"i-0abc","hops":1,"user":"root","purpose":"ssh-userauth"}"#,
        #"{"v":1,"time":"\#(at(0))","event":"sign","key":"beta","fingerprint":"\#(beta)","outcome":"refused","#
          + #""reason":"user refused use of the key","purpose":"other"}"#,
      ]
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: state + "/keyhold/signatures.log", atomically: true, encoding: .utf8)
    }

    func keyhold(_ args: [String]) throws -> CLIHarness.Result {
      try CLIHarness.run(args + ["--vault", s.vault], environment: ["XDG_STATE_HOME": state])
    }
  }

  @Test func showGivesTheLastSignedUseAndIgnoresRefusals() throws {
    let t = try Setup()
    defer { t.s.cleanup() }
    let alpha = try t.keyhold(["show", "alpha"])
    #expect(alpha.status == 0, "\(alpha.stderr)")
    let line = try #require(alpha.stdout.split(separator: "\n").first { $0.hasPrefix("last used:") })
    #expect(line.hasSuffix(" UTC ssh-userauth i-0abc (ssh)"), "\(line)")
    let beta = try t.keyhold(["show", "beta"])
    #expect(beta.stdout.contains("last used:"))
    #expect(beta.stdout.contains("not since the signature log begins"))
    let json = try t.keyhold(["show", "--json", "alpha"])
    let doc = try #require(try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any])
    let use = try #require(doc["last_use"] as? [String: Any])
    #expect(use["purpose"] as? String == "ssh-userauth")
    #expect(use["host"] as? String == "i-0abc")
    #expect(doc["name"] as? String == "alpha")
  }

  /// After the report, `keyhold audit` gives every vault key's last use: the one that signed with its time,
  /// purpose, host and process; the one only refused as having none.
  @Test func auditGivesEachKeysLastUseAfterTheReport() throws {
    let t = try Setup()
    defer { t.s.cleanup() }
    // A last report with no entries, as a sync that found nothing in the cloud leaves it (the records format of
    // Sources/Audit/AuditReport+Records.swift, version 2), so the audit needs no cloud.
    try "keyhold-audit\t2\t\(Int(Date().timeIntervalSince1970))\n".write(
      toFile: t.s.vault + ".audit", atomically: true, encoding: .utf8)
    let r = try t.keyhold(["audit"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let start = try #require(lines.firstIndex { $0.hasPrefix("Last use (the signature log begins ") }, "\(r.stdout)")
    #expect(lines.count > start + 2)
    #expect(lines[start + 1].hasPrefix("  alpha  "))
    #expect(lines[start + 1].hasSuffix(" UTC ssh-userauth i-0abc (ssh)"), "\(lines[start + 1])")
    #expect(lines[start + 2] == "  beta   none in the log")
    // The JSON report stays the report alone.
    let json = try t.keyhold(["audit", "--json"])
    #expect(!json.stdout.contains("Last use"))
  }

  @Test func auditUnusedListsPruneCandidatesAndPrunesNothing() throws {
    let t = try Setup()
    defer { t.s.cleanup() }
    let byDefault = try t.keyhold(["audit", "--unused"])
    #expect(byDefault.status == 0, "\(byDefault.stderr)")
    #expect(byDefault.stdout.contains("keys unused for 90 days"), "\(byDefault.stdout)")
    #expect(byDefault.stdout.contains("  beta  never used in the log"))
    #expect(!byDefault.stdout.contains("alpha"))
    let oneDay = try t.keyhold(["audit", "--unused", "1", "--json"])
    #expect(oneDay.status == 0, "\(oneDay.stderr)")
    let list = try #require(try JSONSerialization.jsonObject(with: oneDay.stdoutBytes) as? [[String: Any]])
    #expect(list.compactMap { $0["name"] as? String } == ["alpha", "beta"])
    #expect(list.first?["fingerprint"] as? String == t.alpha)
    #expect((list.first?["last_use"] as? [String: Any])?["host"] as? String == "i-0abc")
    #expect(list.last?["last_use"] is NSNull)
    // Nothing was retired.
    #expect(try t.s.listedKeys().count == 2)
  }
}
