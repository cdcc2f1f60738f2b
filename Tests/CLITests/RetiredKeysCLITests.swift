import Foundation
import Testing

/// `remove` retires, `list --retired` shows, `restore` brings back, `purge` destroys — nothing before purge loses a
/// key (keyhold-remove(1), keyhold-restore(1), keyhold-purge(1)).
struct RetiredKeysCLITests {
  @Test func removeRetiresRestoreBringsBackAndOnlyPurgeDestroys() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a", type: "ed25519")
    #expect(try s.run(["import", a]).status == 0)

    var r = try s.run(["remove", "a", "--retain-days", "7"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("retired a (restorable until "), "\(r.stdout)")
    #expect(try s.listedKeys().isEmpty)
    r = try s.run(["list", "--retired", "--json"])
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    let retired = try #require(doc["retired"] as? [[String: Any]])
    #expect(retired.count == 1)
    #expect(retired.first?["name"] as? String == "a")
    #expect(retired.first?["reason"] as? String == "removed")
    #expect(retired.first?["expired"] as? Bool == false)
    #expect((retired.first?["expires_at"] as? String)?.hasSuffix("Z") == true)

    r = try s.run(["restore", "a", "--as", "a2"])
    #expect(r.status == 0 && r.stdout == "restored a2\n", "\(r.stdout)\(r.stderr)")
    #expect(try s.listedKeys().compactMap { $0["name"] as? String } == ["a2"])
    #expect(try s.run(["export", "a2", "--yes"]).stdout.contains("OPENSSH PRIVATE KEY"))

    #expect(try s.run(["remove", "a2"]).status == 0)
    // No terminal and no --yes: nothing is destroyed.
    r = try s.run(["purge"])
    #expect(r.status == 1 && r.stderr.contains("pass --yes"), "\(r.stderr)")
    r = try s.run(["purge", "--yes"])
    #expect(r.status == 0 && r.stdout.hasPrefix("purged a2 (retired "), "\(r.stdout)\(r.stderr)")
    r = try s.run(["restore", "a2"])
    #expect(r.status == 1 && r.stderr.contains("no retired key named"), "\(r.stderr)")
  }
}
