import Foundation
import Testing

/// `keyhold hosts` and `keyhold hosts forget` on host files written as keyhold-hosts(5) specifies them.
@Suite struct HostsCommandTests {
  /// A vault with key `deploy`, an instance `web` launched with it whose console printed one host key, and one
  /// learned host opened by `deploy` that no instance names.
  struct Books {
    let s: VaultSandbox
    let deployFingerprint: String
    let webHostKey: String
    let learnedHostKey: String

    init() throws {
      s = try VaultSandbox()
      let deploy = try s.keygen("deploy", type: "ed25519")
      #expect(try s.run(["import", deploy]).status == 0)
      deployFingerprint = try Self.fingerprint(deploy + ".pub")
      let web = try s.keygen("web-host", type: "ed25519")
      let learned = try s.keygen("learned-host", type: "ecdsa", bits: 256)
      webHostKey = try Self.fingerprint(web + ".pub")
      learnedHostKey = try Self.fingerprint(learned + ".pub")
      let webLine = try Self.keyField(web + ".pub")
      try """
      {"format":"keyhold-instances","version":1}
      {"account":"123456789012","endpoint":"aws","hostKeys":["\(webLine)"],"hostKeysAt":"2026-12-02T04:00:00Z",\
      "id":"i-0abc","keyFingerprint":"\(deployFingerprint)","keyName":"deploy","name":"web","privateIP":"10.0.0.7",\
      "publicIP":"203.0.113.7","region":"eu-west-1","state":"running","vaultKey":"deploy"}

      """.write(toFile: s.vault + ".instances", atomically: true, encoding: .utf8)
      try """
      {"format":"keyhold-hosts","version":1}
      {"firstUse":"2026-12-01T08:00:00Z","hostKey":"\(learnedHostKey)","key":"\(deployFingerprint)",\
      "keyName":"old-name","lastUse":"2026-12-02T04:40:00Z","user":"ec2-user","uses":3}

      """.write(toFile: s.vault + ".hosts", atomically: true, encoding: .utf8)
    }

    static func fingerprint(_ pub: String) throws -> String {
      let r = try CLIHarness.run(["-lf", pub], executable: URL(fileURLWithPath: "/usr/bin/ssh-keygen"))
      return String(r.stdout.split(separator: " ")[1])
    }

    static func keyField(_ pub: String) throws -> String {
      try String(contentsOfFile: pub, encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
    }

    func json() throws -> [[String: Any]] {
      let r = try s.run(["hosts", "--json"])
      #expect(r.status == 0, "\(r.stderr)")
      return try r.stdout.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
      }
    }
  }

  @Test func hostsListsOneRowPerHostKeyWithNamesKeyUserLastUseAndSource() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    let r = try b.s.run(["hosts"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("HOST KEY") && lines[0].contains("LAST USE") && lines[0].hasSuffix("SOURCE"))
    // The instance's host key first (it has names), then the learned one.
    #expect(lines[1].hasPrefix(b.webHostKey) && lines[1].contains("i-0abc,web,203.0.113.7,10.0.0.7"))
    #expect(lines[1].contains("deploy") && lines[1].hasSuffix("cloud"))
    #expect(lines[2].hasPrefix(b.learnedHostKey) && lines[2].contains("2026-12-02 04:40 UTC"))
    // The vault's name for the key, not the one it had when it was used.
    #expect(lines[2].contains("deploy") && !lines[2].contains("old-name") && lines[2].contains("ec2-user"))
    #expect(lines[2].hasSuffix("learned"))
  }

  @Test func theTableEscapesControlCharactersInNameTagsAndUserNames() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    let instances = try String(contentsOfFile: b.s.vault + ".instances", encoding: .utf8)
    try instances.replacingOccurrences(of: "\"name\":\"web\"", with: "\"name\":\"web\\u001b[2J\\nfake\"")
      .write(toFile: b.s.vault + ".instances", atomically: true, encoding: .utf8)
    let r = try b.s.run(["hosts"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("web\\033[2J\\nfake") && !r.stdout.contains("\u{1b}"))
    #expect(r.stdout.split(separator: "\n").count == 3)
  }

  @Test func hostsJSONIsOneObjectPerLineFollowingTheConvention() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    let hosts = try b.json()
    #expect(hosts.count == 2)
    for h in hosts {
      JSONConventionTests.checkConvention(h)
      #expect(
        Set(h.keys) == ["host_key", "host_key_type", "names", "instances", "keys", "users", "last_use", "source"])
    }
    let web = hosts[0]
    #expect(web["host_key"] as? String == b.webHostKey)
    #expect(web["host_key_type"] as? String == "ssh-ed25519")
    #expect(web["source"] as? String == "cloud")
    #expect(web["last_use"] is NSNull)
    let instance = try #require((web["instances"] as? [[String: Any]])?.first)
    #expect(
      Set(instance.keys) == [
        "id", "name", "endpoint", "account", "region", "state", "public_ip", "private_ip", "public_dns",
        "private_dns", "key_name",
      ])
    #expect(instance["public_dns"] is NSNull && instance["id"] as? String == "i-0abc")
    let key = try #require((web["keys"] as? [[String: Any]])?.first)
    #expect(Set(key.keys) == ["fingerprint", "name", "users", "last_use", "uses", "source"])
    #expect(key["fingerprint"] as? String == b.deployFingerprint && key["name"] as? String == "deploy")
    let learned = hosts[1]
    #expect(learned["host_key_type"] is NSNull)
    #expect(learned["last_use"] as? String == "2026-12-02T04:40:00Z")
    #expect(learned["users"] as? [String] == ["ec2-user"])
    #expect(learned["source"] as? String == "learned")
    // The same bytes every time: sorted keys, stable row order.
    #expect(try b.s.run(["hosts", "--json"]).stdout == (try b.s.run(["hosts", "--json"]).stdout))
  }

  @Test func forgettingAnInstanceDropsItsConsoleHostKeysAndSaysTheNextSyncBringsThemBack() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    let r = try b.s.run(["hosts", "forget", "web"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("dropped 1 console host key of i-0abc from \(b.s.vault).instances"))
    #expect(r.stdout.contains("next `keyhold sync`"))
    #expect(!r.stdout.contains("learned record"))
    #expect(try b.json().map { $0["host_key"] as? String } == [b.learnedHostKey])
    let instances = try String(contentsOfFile: b.s.vault + ".instances", encoding: .utf8)
    #expect(instances.contains("\"id\":\"i-0abc\"") && instances.contains("\"hostKeys\":[]"))
  }

  @Test func forgettingByKeyNameTakesEveryHostOfTheKey() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    let r = try b.s.run(["hosts", "forget", "--key", "deploy"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("forgot 1 learned record\n") && r.stdout.contains("dropped 1 console host key"))
    #expect(try b.json().isEmpty)
  }

  @Test func aSelectorThatMatchesNothingIsAOneLineErrorAndChangesNothing() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    let before = try b.s.run(["hosts", "--json"]).stdout
    let r = try b.s.run(["hosts", "forget", b.learnedHostKey, "nosuch"])
    #expect(r.status == 1)
    #expect(r.stderr.split(separator: "\n").first == "keyhold: error: no known host matches 'nosuch'")
    #expect(try b.s.run(["hosts", "--json"]).stdout == before)
    let key = try b.s.run(["hosts", "forget", "--key", "nokey"])
    #expect(key.status == 1 && key.stderr.hasPrefix("keyhold: error: no known host is opened by key 'nokey'"))
    let usage = try b.s.run(["hosts", "forget"])
    #expect(usage.status == 2 && usage.stderr.hasPrefix("keyhold: error: name what to forget"))
  }

  @Test func forgetAllEmptiesBothBooksButKeepsTheInstances() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    let r = try b.s.run(["hosts", "forget", "--all"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try b.json().isEmpty)
    #expect(try String(contentsOfFile: b.s.vault + ".instances", encoding: .utf8).contains("i-0abc"))
    let again = try b.s.run(["hosts", "forget", "--all"])
    #expect(again.status == 0 && again.stdout == "no hosts known; nothing to forget\n")
  }

  @Test func aMalformedHostsFileIsAOneLineErrorNamingFileAndLine() throws {
    let b = try Books()
    defer { b.s.cleanup() }
    try "{\"format\":\"keyhold-hosts\",\"version\":1}\n{\"hostKey\":\n".write(
      toFile: b.s.vault + ".hosts", atomically: true, encoding: .utf8)
    let r = try b.s.run(["hosts"])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("keyhold: error: \(b.s.vault).hosts: line 2: not a record\n"), "\(r.stderr)")
    #expect(try b.s.run(["hosts", "forget", "--all"]).status == 1)
  }
}
