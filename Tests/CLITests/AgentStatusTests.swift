import Foundation
import TestSupport
import Testing

/// `keyhold status`: the agent's state from its `status@keyhold` extension, as text and as JSON.
@Suite struct AgentStatusTests {
  typealias Setup = AgentVaultTests.Setup

  static func json(_ r: Spawn.Result) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
  }

  @Test func statusReportsASealedVaultItsKeysSocketAndPid() throws {
    let s = try Setup()
    let r = try s.keyhold("status")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("agent:      unlocked\n"), "\(r.stdout)")
    #expect(r.stdout.contains("vault:      sealed for "))
    #expect(r.stdout.contains("vault keys: 1 (0 listed)\n"))
    #expect(r.stdout.contains("not listed: sealed vault keys: lazy unlock is off"))
    #expect(r.stdout.contains("socket:     \(s.bed.socket)\n"))
    #expect(r.stdout.contains("pid:        \(s.bed.pid)\n"))
  }

  @Test func statusReportsAnOpenVaultAndWhenItSeals() throws {
    let s = try Setup()
    #expect(try s.keyhold("unlock --timeout 1h --passphrase-fd 3").status == 0)
    let r = try s.keyhold("status")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("vault:      open for "), "\(r.stdout)")
    #expect(r.stdout.contains(", seals in "))
    #expect(r.stdout.contains("vault keys: 1 (1 listed)\n"))
    #expect(!r.stdout.contains("not listed:"))
  }

  @Test func statusJSONHasEveryFieldAndFollowsTheConvention() throws {
    let s = try Setup()
    #expect(try s.keyhold("unlock --timeout 1h --passphrase-fd 3").status == 0)
    let other = try s.bed.makeKey("ed25519", name: "mine")
    #expect(try s.bed.sshAdd([other]).status == 0)
    let r = try s.keyhold("status --json")
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try Self.json(r)
    JSONConventionTests.checkConvention(doc)
    #expect(doc["locked"] as? Bool == false)
    #expect(doc["vault"] as? String == "open")
    #expect((doc["vault_seconds"] as? Int).map { $0 >= 0 } == true)
    #expect((doc["seals_in_seconds"] as? Int).map { $0 > 0 && $0 <= 3600 } == true)
    #expect(doc["vault_keys"] as? Int == 1)
    #expect(doc["listed_vault_keys"] as? Int == 1)
    #expect(doc["added_keys"] as? Int == 1)
    #expect(doc["not_listed_reason"] is NSNull)
    #expect(doc["socket"] as? String == s.bed.socket)
    #expect(doc["pid"] as? Int == Int(s.bed.pid))
  }

  @Test func statusOfAnAgentWithoutAVaultSaysSo() throws {
    let bed = try AgentTestbed(flags: ["--no-vault"])
    let text = try bed.run(CLIHarness.binary.path, ["status"])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("vault:      none (the agent was started with --no-vault)"), "\(text.stdout)")
    let doc = try Self.json(try bed.run(CLIHarness.binary.path, ["status", "--json"]))
    #expect(doc["vault"] as? String == "none")
    #expect(doc["vault_keys"] is NSNull)
    #expect(doc["vault_seconds"] is NSNull)
  }

  @Test func statusAnswersWhileTheAgentIsLocked() throws {
    let s = try Setup()
    let lockPass = try s.bed.script("lockpass", "echo lock-pass")
    let env = ["SSH_ASKPASS": lockPass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"]
    #expect(try s.bed.sshAdd(["-x"], environment: env).status == 0)
    let doc = try Self.json(try s.keyhold("status --json"))
    #expect(doc["locked"] as? Bool == true)
    #expect(try s.keyhold("status").stdout.contains("agent:      locked\n"))
  }

  @Test func statusWithoutAnAgentExplainsWhatToDo() throws {
    let scratch = try CLIHarness.makeTempDirectory("noagent")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let r = try Spawn.run(
      CLIHarness.binary.path, ["status"], environment: Spawn.environment([:]), scratch: scratch.path)
    #expect(r.status == 1)
    #expect(r.stderr.contains("keyhold: error: SSH_AUTH_SOCK is not set"))
  }
}
