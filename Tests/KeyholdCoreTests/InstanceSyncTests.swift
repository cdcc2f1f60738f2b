import Audit
import Cloud
import Foundation
import HostBook
import KeyholdCore
import KeyholdCrypto
import TestSupport
import Testing
import Vault

/// `keyhold sync`'s instance half against the loopback EC2 stub: listing, mapping to vault keys, console host keys.
@Suite(.serialized)
struct InstanceSyncTests {
  static let hostKey =
    "ssh-ed25519 "
    + Base64.encode(
      [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32]
        + [UInt8](repeating: 0x42, count: 32))

  func instances(_ w: CoreWorld) throws -> [CloudInstance] { try HostBook(vaultPath: w.store.path).instances() }

  @Test func instancesMapToTheVaultKeyAndLearnHostKeysOnceTheConsolePrints() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let entry = try w.add(
      "web", bindings: [VaultBinding(cloud: "", region: "us-east-1", keyName: "web", flags: .createdByCloud)])
    w.cloud.set {
      $0.pairs["us-east-1"] = [.init(name: "web", fingerprint: entry.createdFingerprint, id: "key-1")]
      $0.listed["us-east-1"] = [
        EC2StubInstance(id: "i-1", keyName: "web", name: "front", publicIP: "203.0.113.7", privateIP: "10.0.0.7"),
        EC2StubInstance(id: "i-2", keyName: "web", state: "terminated"),
        EC2StubInstance(id: "i-3", keyName: "elsewhere", state: "stopped"),
      ]
    }

    // Moments after launch the console is empty: not an error, nothing learned.
    let first = try #require(try await w.sync.run(.init(pendingRetryDelays: [])).instances)
    #expect(first.seen == 2 && first.hostKeysLearned == 0 && first.failures.isEmpty)
    var stored = try instances(w)
    #expect(stored.map(\.id) == ["i-1", "i-3"])
    let i1 = try #require(stored.first { $0.id == "i-1" })
    #expect(i1.vaultKey == "web" && i1.keyFingerprint == HostBook.fingerprint(ofBlob: entry.publicKeyBlob))
    #expect(i1.name == "front" && i1.publicIP == "203.0.113.7" && i1.region == "us-east-1")
    #expect(i1.hostKeys.isEmpty)
    #expect(stored.first { $0.id == "i-3" }?.vaultKey == nil)
    #expect(w.cloud.server.count("GetConsoleOutput") == 1)  // only the running instance

    // cloud-init has printed: the host key maps to the key.
    w.cloud.set { $0.consoles["i-1"] = EC2StubServer.cloudInitConsole(hostKeys: [Self.hostKey]) }
    let second = try #require(try await w.sync.run(.init(pendingRetryDelays: [])).instances)
    #expect(second.hostKeysLearned == 1)
    stored = try instances(w)
    #expect(stored.first { $0.id == "i-1" }?.hostKeys == [Self.hostKey])
    let index = HostBook.index(learned: [], instances: stored)
    #expect(index[try #require(HostBook.fingerprint(ofKeyLine: Self.hostKey))] == [i1.keyFingerprint!])

    // Known host keys stay when the console is empty again, and are not read again.
    w.cloud.set { $0.consoles = [:] }
    let reads = w.cloud.server.count("GetConsoleOutput")
    let third = try #require(try await w.sync.run(.init(pendingRetryDelays: [])).instances)
    #expect(third.hostKeysLearned == 0)
    #expect(try instances(w).first { $0.id == "i-1" }?.hostKeys == [Self.hostKey])
    #expect(w.cloud.server.count("GetConsoleOutput") == reads)
  }

  @Test func aRegionWhoseInstancesCannotBeListedKeepsItsRecords() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let entry = try w.add("up")
    let md5 = try #require(entry.fingerprint("md5-spki"))
    w.cloud.set {
      $0.pairs["us-east-1"] = [.init(name: "theirs", fingerprint: md5, id: "key-9")]
      $0.listed["us-east-1"] = [EC2StubInstance(id: "i-east", keyName: "theirs", publicIP: "198.51.100.1")]
      $0.listed["eu-west-1"] = [EC2StubInstance(id: "i-west", keyName: "theirs", publicIP: "198.51.100.2")]
      $0.consoles["i-west"] = EC2StubServer.cloudInitConsole(hostKeys: [Self.hostKey])
    }
    let all = Sync.Request(allRegions: true, pendingRetryDelays: [])
    _ = try await w.sync.run(all)
    var stored = try instances(w)
    #expect(Set(stored.map(\.id)) == ["i-east", "i-west"])
    // Found by fingerprint under another name: the instance maps to the key all the same.
    #expect(stored.first { $0.id == "i-east" }?.vaultKey == "up")

    w.cloud.set {
      $0.failingInstanceRegions = ["eu-west-1"]
      $0.listed["us-east-1"] = []
    }
    let outcome = try await w.sync.run(all)
    #expect(outcome.instances?.failures.keys.sorted() == ["eu-west-1"])
    stored = try instances(w)
    #expect(stored.map(\.id) == ["i-west"])
    #expect(stored.first?.hostKeys == [Self.hostKey])
  }

  @Test func consoleReadsPerSyncAreBounded() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    w.cloud.set { $0.listed["us-east-1"] = (0..<10).map { EC2StubInstance(id: "i-\($0)", keyName: "k") } }
    var sweep = InstanceSweep()
    sweep.maxConsoleReads = 3
    let outcome = try await w.sync.run(.init(pendingRetryDelays: [], instances: sweep))
    #expect(outcome.instances?.seen == 10)
    #expect(w.cloud.server.count("GetConsoleOutput") == 3)
  }

  @Test func aDamagedInstancesFileIsLeftAlone() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let path = HostBook(vaultPath: w.store.path).instancesPath
    try Data("not a host book\n".utf8).write(to: URL(fileURLWithPath: path))
    let outcome = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(outcome.instancesError?.contains(path) == true)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a host book\n")
  }
}

/// The ssh_config fragment and the known_hosts lines, from literal records.
@Suite struct InstanceHostFilesTests {
  static let key = InstanceSyncTests.hostKey

  @Test func fragmentHasABlockPerRunningInstanceWithSafeAliasesOnly() {
    let records = [
      CloudInstance(
        endpoint: "aws", account: "1", region: "us-east-1", id: "i-1", name: "web-1", state: "running",
        publicIP: "203.0.113.7", privateIP: "10.0.0.7", publicDNS: "ec2-203-0-113-7.compute-1.amazonaws.com",
        keyName: "web", vaultKey: "web", keyFingerprint: "SHA256:x"),
      CloudInstance(
        endpoint: "aws", account: "1", region: "us-east-1", id: "i-2", name: "evil *\nHost *", state: "running",
        privateIP: "10.0.0.8", keyName: "other"),
      CloudInstance(endpoint: "aws", account: "1", region: "us-east-1", id: "i-3", state: "stopped"),
    ]
    let text = InstanceHostFiles.sshConfig(records, files: ["web": "/home/u/.local/share/keyhold/vault.public/web.pub"])
    #expect(text.contains("Host i-1 web-1 ec2-203-0-113-7.compute-1.amazonaws.com\n  HostName 203.0.113.7\n"))
    #expect(
      text.contains("  IdentityFile \"/home/u/.local/share/keyhold/vault.public/web.pub\"\n  IdentitiesOnly yes\n"))
    #expect(text.contains("Host i-2\n  HostName 10.0.0.8\n"))
    #expect(text.contains("# its Name tag is not safe as an ssh_config pattern and was left out"))
    #expect(!text.contains("evil"))
    #expect(!text.contains("i-3"))
    // Every line is a comment, a Host line or an indented option: nothing a tag could add.
    for line in text.split(separator: "\n") {
      #expect(line.hasPrefix("#") || line.hasPrefix("Host ") || line.hasPrefix("  "))
    }
  }

  @Test func knownHostsLinesHashAsSSHKeygenDoes() {
    let record = CloudInstance(
      endpoint: "aws", account: "1", region: "us-east-1", id: "i-1", state: "running", publicIP: "203.0.113.7",
      privateIP: "10.0.0.7", publicDNS: "host.example", hostKeys: [Self.key])
    #expect(InstanceHostFiles.knownHosts([record], hashed: false) == "host.example,203.0.113.7,10.0.0.7 \(Self.key)\n")
    let salt = [UInt8](repeating: 1, count: 20)
    let hashed = InstanceHostFiles.knownHosts([record], hashed: true, salt: { salt })
    let lines = hashed.split(separator: "\n")
    #expect(lines.count == 3)
    let expected = Base64.encode(HMAC.mac(.sha1, key: salt, data: Array("host.example".utf8)))
    #expect(lines[0] == "|1|\(Base64.encode(salt))|\(expected) \(Self.key)")
    #expect(
      InstanceHostFiles.knownHosts(
        [CloudInstance(endpoint: "", account: nil, region: "r", id: "i", state: "running")], hashed: false) == "")
  }
}
