import HostBook
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// What `keyhold hosts` shows and `keyhold hosts forget` removes, on literal records.
@Suite struct KnownHostsTests {
  static let web = CloudInstance(
    endpoint: "aws", account: "123456789012", region: "eu-west-1", id: "i-0abc", name: "web", state: "running",
    publicIP: "203.0.113.7", privateIP: "10.0.0.7", publicDNS: "ec2-203-0-113-7.eu-west-1.compute.amazonaws.com",
    keyName: "deploy", vaultKey: "deploy", keyFingerprint: TestKeys.fingerprint(20),
    hostKeys: [TestKeys.line(1), TestKeys.line(2)], hostKeysAt: "2026-12-02T04:00:00Z")
  static let db = CloudInstance(
    endpoint: "aws", account: "123456789012", region: "eu-west-1", id: "i-0def", name: "db", state: "running",
    privateIP: "10.0.0.8", keyName: "ops", vaultKey: "ops", keyFingerprint: TestKeys.fingerprint(21),
    hostKeys: [TestKeys.line(3)])

  @Test func oneHostPerHostKeyWithItsNamesKeysUsersAndSource() throws {
    let learned = [
      TestKeys.use(host: 1, key: 20, user: "ec2-user", at: "2026-12-01T10:00:00Z"),
      TestKeys.use(host: 1, key: 20, user: "root", at: "2026-12-02T09:00:00Z"),
      TestKeys.use(host: 9, key: 22),
    ]
    let hosts = HostBook.known(
      learned: learned, instances: [Self.web, Self.db], keyNames: [TestKeys.fingerprint(22): "laptop"])
    // Named hosts first, by first name (i-0abc twice, i-0def), then the learned-only host.
    let webKeys = [TestKeys.fingerprint(1), TestKeys.fingerprint(2)].sorted()
    #expect(hosts.map(\.hostKey) == webKeys + [TestKeys.fingerprint(3), TestKeys.fingerprint(9)])
    let one = try #require(hosts.first { $0.hostKey == TestKeys.fingerprint(1) })
    #expect(one.source == "both")
    #expect(one.hostKeyType == "ssh-ed25519")
    #expect(
      one.names == ["i-0abc", "web", "ec2-203-0-113-7.eu-west-1.compute.amazonaws.com", "203.0.113.7", "10.0.0.7"])
    #expect(one.keys.count == 1)
    #expect(one.keys[0].name == "deploy")
    #expect(one.keys[0].users == ["ec2-user", "root"])
    #expect(one.keys[0].lastUse == "2026-12-02T09:00:00Z")
    #expect(one.keys[0].uses == 2)
    #expect(one.keys[0].learned && one.keys[0].cloud)
    let two = try #require(hosts.first { $0.hostKey == TestKeys.fingerprint(2) })
    #expect(two.source == "cloud")
    #expect(two.keys.map(\.lastUse) == [nil])
    let nine = try #require(hosts.last)
    #expect(nine.source == "learned")
    #expect(nine.names.isEmpty)
    // The vault's name wins over the name the key had when it was used.
    #expect(nine.keys.map(\.name) == ["laptop"])
  }

  @Test func selectorsNameHostKeysByFingerprintInstanceIdNameTagDNSOrAddress() {
    let learned = [TestKeys.use(host: 9, key: 22)]
    let instances = [Self.web, Self.db]
    let webKeys: Set = [TestKeys.fingerprint(1), TestKeys.fingerprint(2)]
    for s in ["i-0abc", "web", "203.0.113.7", "10.0.0.7", "ec2-203-0-113-7.eu-west-1.compute.amazonaws.com"] {
      #expect(HostBook.hostKeys(matching: s, learned: learned, instances: instances) == webKeys, "\(s)")
    }
    let nine = TestKeys.fingerprint(9)
    #expect(HostBook.hostKeys(matching: nine, learned: learned, instances: instances) == [nine])
    #expect(HostBook.hostKeys(matching: String(nine.dropFirst(7)), learned: learned, instances: instances) == [nine])
    #expect(HostBook.hostKeys(matching: "nosuch", learned: learned, instances: instances).isEmpty)
  }

  @Test func forgettingAnInstanceRemovesItsLearnedRecordsAndDropsItsConsoleHostKeys() throws {
    let f = BookFolder()
    defer { f.remove() }
    try f.book.record([TestKeys.use(host: 1, key: 20), TestKeys.use(host: 9, key: 22)])
    try f.book.saveInstances([Self.web, Self.db])
    let keys = HostBook.hostKeys(matching: "web", learned: try f.book.learned(), instances: try f.book.instances())
    let outcome = try f.book.forget(HostSelection(hostKeys: keys))
    #expect(outcome.learnedRemoved == 1)
    #expect(outcome.droppedHostKeys == [.init(instance: "i-0abc", count: 2)])
    #expect(try f.book.learned().map(\.hostKey) == [TestKeys.fingerprint(9)])
    let stored = try f.book.instances()
    #expect(stored.map(\.hostKeys) == [[], [TestKeys.line(3)]])
    #expect(stored[0].hostKeysAt == nil)
    // Nothing of it is left to forget.
    #expect(try f.book.preview(HostSelection(hostKeys: keys)).isEmpty)
  }

  @Test func forgettingByKeyTakesEveryHostOfThatKey() throws {
    let f = BookFolder()
    defer { f.remove() }
    try f.book.record([TestKeys.use(host: 5, key: 21), TestKeys.use(host: 6, key: 21), TestKeys.use(host: 9, key: 22)])
    try f.book.saveInstances([Self.web, Self.db])
    let outcome = try f.book.forget(HostSelection(keys: [TestKeys.fingerprint(21)]))
    #expect(outcome.learnedRemoved == 2)
    #expect(outcome.droppedHostKeys == [.init(instance: "i-0def", count: 1)])
    #expect(try f.book.learned().count == 1)
    // By the vault name the instances file carries.
    let byName = try f.book.forget(HostSelection(keyNames: ["deploy"]))
    #expect(byName == .init(learnedRemoved: 0, droppedHostKeys: [.init(instance: "i-0abc", count: 2)]))
  }

  @Test func forgettingAllLeavesNothingToIndex() throws {
    let f = BookFolder()
    defer { f.remove() }
    try f.book.record([TestKeys.use(host: 1, key: 20), TestKeys.use(host: 9, key: 22)])
    try f.book.saveInstances([Self.web, Self.db])
    let outcome = try f.book.forget(HostSelection(all: true))
    #expect(outcome.learnedRemoved == 2)
    #expect(outcome.droppedHostKeys.map(\.count) == [2, 1])
    #expect(HostBook.index(learned: try f.book.learned(), instances: try f.book.instances()).isEmpty)
    // The instances themselves stay: only their host keys were cloud-derived facts to drop.
    #expect(try f.book.instances().map(\.id) == ["i-0abc", "i-0def"])
  }

  @Test func aForgetThatSelectsNothingWritesNoFile() throws {
    let f = BookFolder()
    defer { f.remove() }
    let outcome = try f.book.forget(HostSelection(hostKeys: [TestKeys.fingerprint(1)]))
    #expect(outcome.isEmpty)
    #expect(try f.book.learned().isEmpty)
    #expect(access(f.book.learnedPath, F_OK) != 0 && access(f.book.instancesPath, F_OK) != 0)
  }

  @Test func aKeyLineFromABlobHasTheBlobsFingerprint() throws {
    let line = try #require(HostBook.keyLine(ofBlob: TestKeys.blob(7)))
    #expect(line == TestKeys.line(7))
    #expect(HostBook.fingerprint(ofKeyLine: line) == TestKeys.fingerprint(7))
    #expect(HostBook.keyLine(ofBlob: [0, 0, 0, 200, 1]) == nil)
    #expect(HostBook.keyLine(ofBlob: [0, 0, 0, 2, 0x0a, 0x41]) == nil)
  }

  @Test func eachFileDecodesWhatItEncodesAndRefusesTheOtherFilesHeader() throws {
    let learned = [TestKeys.use(host: 1, key: 20, user: "root\nforged", at: "2026-12-02T09:00:00Z")]
    let learnedFile = HostBook.encodeLearned(learned)
    // JSON escapes the newline, so a user name cannot start a record of its own.
    #expect(learnedFile.filter { $0 == 0x0a }.count == 2)
    #expect(try HostBook.decodeLearned(learnedFile, path: "h") == learned)
    let instancesFile = HostBook.encodeInstances([Self.web, Self.db])
    #expect(try HostBook.decodeInstances(instancesFile, path: "i") == [Self.web, Self.db])
    #expect(throws: HostBookError.malformed(path: "i", line: 1, why: "not a keyhold-instances file")) {
      try HostBook.decodeInstances(learnedFile, path: "i")
    }
    #expect(throws: HostBookError.malformed(path: "h", line: 1, why: "not a keyhold-hosts file")) {
      try HostBook.decodeLearned(instancesFile, path: "h")
    }
  }
}
