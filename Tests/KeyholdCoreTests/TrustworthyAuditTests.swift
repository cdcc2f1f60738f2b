import Audit
import Cloud
import Foundation
import KeyholdCore
import Testing
import Vault

/// The four ways the audit used to destroy or lose a live key, and the rules that now prevent them, against a
/// loopback EC2 stub with an injected clock.
@Suite(.serialized)
struct TrustworthyAuditTests {
  /// `aws ec2 create-key-pair --region eu-west-1 | keyhold import` while us-east-1 is configured: the import knows
  /// neither region, endpoint nor account.
  @Test func aKeyImportedFromAnotherRegionIsFoundThereNotCalledOrphaned() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let entry = try w.add("K", bindings: [VaultBinding(cloud: "", region: "", keyName: "K", flags: .createdByCloud)])
    w.cloud.set { $0.pairs["eu-west-1"] = [.init(name: "K", fingerprint: entry.createdFingerprint, id: "key-1")] }
    w.clock.advance(300 + 1)

    let first = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(first.regions == ["eu-west-1", "us-east-1"])
    let e = try #require(first.report.entries.first { $0.localKey == "K" })
    #expect(e.state == .inSync)
    #expect(e.scope == CloudScope(endpoint: w.context.endpointIdentity, account: "123456789012", region: "eu-west-1"))
    #expect(first.resolved == ["K: eu-west-1/K"])
    #expect(try Retirement(store: w.store).planPrune(forceInUse: false).victims.isEmpty)

    // Deleted later: now the evidence is there (it was seen listed in eu-west-1, and is gone from every region).
    w.cloud.set { $0.pairs["eu-west-1"] = [] }
    w.clock.advance(3600)
    let second = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(second.report.entries.first { $0.localKey == "K" }?.state == .orphaned)
    #expect(try Retirement(store: w.store).planPrune(forceInUse: false).victims == ["K"])
  }

  @Test func aKeyUploadedByAnotherToolIsBoundByItsFingerprintAndItsDeletionIsReported() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let entry = try w.add("up")
    let md5 = try #require(entry.fingerprint("md5-spki"))
    w.cloud.set { $0.pairs["us-east-1"] = [.init(name: "theirs", fingerprint: md5, id: "key-9")] }

    let first = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(first.learned == ["up: us-east-1/theirs"])
    let view = try w.store.readPublic()
    let bindings = KeyBindings.of(try #require(view.entry(named: "up")), in: view)
    #expect(bindings.count == 1 && bindings[0].sealed == nil && bindings[0].keyName == "theirs")

    // The key pair goes, but an instance still uses it: reported orphaned, and prune keeps the key.
    w.cloud.set {
      $0.pairs["us-east-1"] = []
      $0.instances["theirs"] = 2
    }
    let second = try await w.sync.run(.init(pendingRetryDelays: []))
    let e = try #require(second.report.entries.first { $0.localKey == "up" })
    #expect(e.state == .orphaned && e.keyName == "theirs" && e.instancesInUse == 2)
    let plan = try Retirement(store: w.store).planPrune(forceInUse: false)
    #expect(plan.victims.isEmpty)
    #expect(plan.kept.first?.reason.contains("2 instances were launched with theirs in us-east-1") == true)
  }

  @Test func rotatingTheAccessKeyChangesNothing() async throws {
    var w = try CoreWorld()
    defer { w.cleanup() }
    let entry = try w.add("web")
    w.cloud.set { $0.pairs["us-east-1"] = [.init(name: "web", fingerprint: entry.createdFingerprint, id: "key-1")] }
    _ = try await w.sync.run(.init(pendingRetryDelays: []))
    w.accessKey = "AKIDROTATED"
    let after = try await w.sync.run(.init(pendingRetryDelays: []))
    let e = try #require(after.report.entries.first { $0.localKey == "web" })
    #expect(e.state == .inSync && !e.discovered)
    #expect(after.learned.isEmpty)

    w.cloud.set { $0.pairs["us-east-1"] = [] }
    let gone = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(gone.report.entries.first { $0.localKey == "web" }?.state == .orphaned)
  }

  @Test func deleteRefusesAKeyPairThatHoldsAnotherPublicKey() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let b = VaultBinding(
      cloud: w.context.endpointIdentity, account: "123456789012", region: "us-east-1", keyName: "db",
      flags: [.createdByCloud, .accountFromCloud])
    try w.add("db", bindings: [b])
    w.cloud.set {
      $0.pairs["us-east-1"] = [
        .init(name: "db", fingerprint: "de:ad:be:ef:de:ad:be:ef:de:ad:be:ef:de:ad:be:ef:de:ad:be:ef", id: "key-2")
      ]
    }
    await #expect(throws: KeyholdError.self) {
      try await w.keyPairs.delete(
        name: "db", policy: .init(removeLocal: false), confirm: { _ in nil }, passphrase: { w.passphrase })
    }
    #expect(w.cloud.server.count("DeleteKeyPair") == 0)
    #expect(try w.store.readPublic().entry(named: "db")?.bindings.map(\.key) == [b.key])
  }

  @Test func deleteKeepsTheBindingWhileInstancesMayUseTheKeyPair() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let b = VaultBinding(
      cloud: w.context.endpointIdentity, account: "123456789012", region: "us-east-1", keyName: "app",
      flags: [.createdByCloud, .accountFromCloud])
    let entry = try w.add("app", bindings: [b])
    w.cloud.set {
      $0.pairs["us-east-1"] = [.init(name: "app", fingerprint: entry.createdFingerprint, id: "key-3")]
      $0.instancesDenied = true
    }
    let done = try await w.keyPairs.delete(
      name: "app", policy: .init(removeLocal: true), confirm: { _ in nil }, passphrase: { w.passphrase })
    #expect(done.existed && !done.retired && !done.droppedBinding)
    #expect(done.instanceUse == .unknown(places: ["app in us-east-1"]))
    #expect(try w.store.readPublic().entry(named: "app")?.bindings.map(\.key) == [b.key])
  }

  @Test func aRegionThatCannotBeListedKeepsItsLastGoodResultsAndProvesNothing() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let b = VaultBinding(
      cloud: w.context.endpointIdentity, account: "123456789012", region: "us-east-1", keyName: "ops",
      flags: [.createdByCloud, .accountFromCloud])
    let entry = try w.add("ops", bindings: [b])
    w.cloud.set { $0.pairs["us-east-1"] = [.init(name: "ops", fingerprint: entry.createdFingerprint, id: "key-4")] }
    let good = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(good.report.exitStatus == 0)
    let goodAt = good.report.generatedAt

    w.clock.advance(600)
    w.cloud.set {
      $0.pairs["us-east-1"] = []
      $0.failingRegions = ["us-east-1"]
    }
    let bad = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(bad.report.exitStatus == 2)
    #expect(bad.report.entries.contains { $0.localKey == "ops" && $0.state == .inSync && $0.asOf == goodAt })
    let view = try w.store.readPublic()
    #expect(KeyBindings.of(try #require(view.entry(named: "ops")), in: view).first?.state == .inSync)
    #expect(try AuditStore(vaultPath: w.store.path).load()?.entries.contains { $0.asOf == goodAt } == true)
  }

  @Test func aKeyPairMadeMomentsAgoIsPendingUntilTheGraceEndsWithoutSleeping() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let b = VaultBinding(
      cloud: w.context.endpointIdentity, account: "123456789012", region: "us-east-1", keyName: "new",
      createdAt: w.clock.now, flags: [.createdByCloud, .accountFromCloud])
    try w.add("new", bindings: [b])
    let start = w.clock.now
    let early = try await w.sync.run(.init(pendingRetryDelays: [1, 2, 4]))
    #expect(early.report.entries.first { $0.localKey == "new" }?.state == .pending)
    #expect(w.clock.now == start + 7)  // the three pauses went by on the injected clock
    #expect(w.cloud.server.count("DescribeKeyPairs") == 4)
    w.clock.advance(300)
    let late = try await w.sync.run(.init(pendingRetryDelays: []))
    #expect(late.report.entries.first { $0.localKey == "new" }?.state == .orphaned)
  }

  @Test func aKeyPairListedOnlyWhenAskedAgainEndsInSync() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let b = VaultBinding(
      cloud: w.context.endpointIdentity, account: "123456789012", region: "us-east-1", keyName: "late",
      createdAt: w.clock.now, flags: [.createdByCloud, .accountFromCloud])
    let entry = try w.add("late", bindings: [b])
    w.cloud.set {
      $0.pairs["us-east-1"] = [.init(name: "late", fingerprint: entry.createdFingerprint, id: "key-5")]
      $0.emptyListings = 1
    }
    let r = try await w.sync.run(.init(pendingRetryDelays: [1, 2, 4]))
    #expect(r.report.entries.first { $0.localKey == "late" }?.state == .inSync)
    #expect(w.cloud.server.count("DescribeKeyPairs") == 2)
    #expect(r.report.exitStatus == 0)
  }

  @Test func instanceUseUnknownKeepsAnOrphanedKeyFromPrune() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    let b = VaultBinding(
      cloud: w.context.endpointIdentity, account: "123456789012", region: "us-east-1", keyName: "gone",
      flags: [.createdByCloud, .accountFromCloud])
    try w.add("gone", bindings: [b])
    w.cloud.set { $0.instancesDenied = true }
    w.clock.advance(301)  // past the grace of a key pair made at import
    let r = try await w.sync.run(.init(pendingRetryDelays: []))
    let e = try #require(r.report.entries.first { $0.localKey == "gone" })
    #expect(e.state == .orphaned && e.instancesInUse == nil)
    #expect(r.report.filtered(to: []).renderText().contains("instance use unknown"))
    let plan = try Retirement(store: w.store).planPrune(forceInUse: false)
    #expect(plan.victims.isEmpty && plan.kept.first?.reason.contains("instance use unknown") == true)
    #expect(try Retirement(store: w.store).planPrune(forceInUse: true).victims == ["gone"])
  }

  @Test func pruneRetiresInOneWriteAndRestoreAndPurgeFollow() async throws {
    let w = try CoreWorld()
    defer { w.cleanup() }
    for n in ["a", "b", "c"] {
      try w.add(
        n,
        bindings: [
          VaultBinding(
            cloud: w.context.endpointIdentity, account: "123456789012", region: "us-east-1", keyName: n,
            flags: [.createdByCloud, .accountFromCloud])
        ])
    }
    w.clock.advance(301)  // past the grace of key pairs made at import
    _ = try await w.sync.run(.init(pendingRetryDelays: []))
    let retirement = Retirement(store: w.store, retention: 86400)
    let plan = try retirement.planPrune(forceInUse: false)
    #expect(plan.victims.sorted() == ["a", "b", "c"])
    let before = try FileManager.default.attributesOfItem(atPath: w.store.path)[.modificationDate] as? Date
    let result = try retirement.prune(plan.victims, passphrase: w.passphrase)
    #expect(result.retired.map(\.entry.name).sorted() == ["a", "b", "c"])
    #expect(before != nil)
    var view = try w.store.readPublic()
    #expect(view.entries.isEmpty && view.retired.count == 3)
    #expect(try w.store.unlock(passphrase: w.passphrase).isEmpty)

    _ = try retirement.restore("b", as: nil, passphrase: w.passphrase)
    #expect(try w.store.unlock(passphrase: w.passphrase).map(\.entry.name) == ["b"])
    w.clock.advance(2 * 86400)
    #expect(try retirement.planPurge(names: nil, expiredOnly: true, now: w.clock.now).count == 2)
    let purged = try retirement.purge(names: ["a"], expiredOnly: false, passphrase: w.passphrase)
    #expect(purged.map(\.entry.name) == ["a"])
    view = try w.store.readPublic()
    #expect(view.retired.map(\.entry.name) == ["c"])
  }
}
