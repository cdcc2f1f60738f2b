import Audit
import Foundation
import Testing

let scopeA = CloudScope(endpoint: "aws", account: "AKIDA", region: "us-east-1")
let scopeB = CloudScope(endpoint: "aws", account: "AKIDA", region: "eu-west-1")
let now: Int64 = 1_800_000_000

/// A local RSA key with every formula a cloud may show.
let rsa = LocalKey(
  name: "web", fingerprints: ["sha1-pkcs8": "aa:bb:cc", "md5-spki": "11:22:33", "md5-ssh": "44:55:66"],
  bindings: [KeyBinding(scope: scopeA, keyName: "web", keyPairId: "key-1")])

func listing(_ scope: CloudScope, _ pairs: [ListedKeyPair], counts: [String: Int] = [:]) -> CloudListing {
  CloudListing(scope: scope, result: .success(pairs), instanceCounts: counts)
}

struct ReconcilerTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let keys: [LocalKey]
    let listings: [CloudListing]
    let state: AuditState
    var matched: String? = nil
    var instances: Int? = nil
    var exit: Int32
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "in-sync by sha1-pkcs8", keys: [rsa],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "web", keyFingerprint: "AA:BB:CC", keyPairId: "key-1")])],
      state: .inSync, matched: "sha1-pkcs8", exit: 0),
    Case(
      name: "in-sync by md5-ssh (eucalyptus import, no id)", keys: [rsa],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "web", keyFingerprint: "44:55:66")])],
      state: .inSync, matched: "md5-ssh", exit: 0),
    Case(
      name: "in-sync by sha256-b64 (case kept)",
      keys: [
        LocalKey(
          name: "ed", fingerprints: ["sha256-b64": "AbC+/x="],
          bindings: [KeyBinding(scope: scopeA, keyName: "ed")])
      ],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "ed", keyFingerprint: "AbC+/x=")])],
      state: .inSync, matched: "sha256-b64", exit: 0),
    Case(
      name: "sha256-b64 differing in case is replaced",
      keys: [
        LocalKey(
          name: "ed", fingerprints: ["sha256-b64": "AbC+/x="],
          bindings: [KeyBinding(scope: scopeA, keyName: "ed")])
      ],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "ed", keyFingerprint: "abc+/x=")])],
      state: .replaced, exit: 1),
    Case(
      name: "id-changed", keys: [rsa],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "web", keyFingerprint: "11:22:33", keyPairId: "key-2")])],
      state: .idChanged, matched: "md5-spki", exit: 1),
    Case(
      name: "replaced, with instances", keys: [rsa],
      listings: [
        listing(
          scopeA, [ListedKeyPair(keyName: "web", keyFingerprint: "de:ad:00", keyPairId: "key-9")],
          counts: ["web": 3])
      ],
      state: .replaced, instances: 3, exit: 1),
    Case(
      name: "orphaned, with instances", keys: [rsa], listings: [listing(scopeA, [], counts: ["web": 2])],
      state: .orphaned, instances: 2, exit: 1),
    Case(
      name: "orphaned, instance use not asked", keys: [rsa], listings: [listing(scopeA, [])],
      state: .orphaned, exit: 1),
    Case(
      name: "moved to another region", keys: [rsa],
      listings: [listing(scopeA, []), listing(scopeB, [ListedKeyPair(keyName: "web2", keyFingerprint: "aa:bb:cc")])],
      state: .moved, matched: "sha1-pkcs8", exit: 1),
    Case(
      name: "pending inside the grace window",
      keys: [
        LocalKey(
          name: "new", fingerprints: ["md5-spki": "01"],
          bindings: [KeyBinding(scope: scopeA, keyName: "new", createdAt: now - 30)])
      ],
      listings: [listing(scopeA, [])], state: .pending, exit: 0),
    Case(
      name: "orphaned inside the grace window once it was seen",
      keys: [
        LocalKey(
          name: "new", fingerprints: ["md5-spki": "01"],
          bindings: [KeyBinding(scope: scopeA, keyName: "new", createdAt: now - 30, seenBefore: true)])
      ],
      listings: [listing(scopeA, [])], state: .orphaned, exit: 1),
    Case(
      name: "orphaned after the grace window",
      keys: [
        LocalKey(
          name: "new", fingerprints: ["md5-spki": "01"],
          bindings: [KeyBinding(scope: scopeA, keyName: "new", createdAt: now - 301)])
      ],
      listings: [listing(scopeA, [])], state: .orphaned, exit: 1),
    Case(
      name: "unverifiable without local formulas",
      keys: [LocalKey(name: "ec", fingerprints: [:], bindings: [KeyBinding(scope: scopeA, keyName: "ec")])],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "ec", keyFingerprint: "aa")])],
      state: .unverifiable, exit: 1),
    Case(
      name: "cloud-only", keys: [],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "stray", keyFingerprint: "77:77")])],
      state: .cloudOnly, exit: 1),
    Case(
      name: "cloud-only when the local key has no private half",
      keys: [LocalKey(name: "pub", fingerprints: ["md5-spki": "77:77"], hasPrivateKey: false)],
      listings: [listing(scopeA, [ListedKeyPair(keyName: "stray", keyFingerprint: "77:77")])],
      state: .cloudOnly, matched: "md5-spki", exit: 1),
    Case(
      name: "error: auth failure changes nothing", keys: [rsa],
      listings: [
        CloudListing(
          scope: scopeA,
          result: .failure(ListingFailure(kind: "auth", message: "authentication failed (AuthFailure)")))
      ],
      state: .error, exit: 2),
  ]

  @Test(arguments: cases) func classifiesEveryState(_ c: Case) throws {
    let report = Reconciler.reconcile(c.keys, c.listings, options: .init(now: now))
    let first = try #require(report.entries.first { $0.state != .inSync || c.state == .inSync })
    #expect(first.state == c.state)
    #expect(first.matchedKind == c.matched)
    #expect(first.instancesInUse == c.instances)
    #expect(report.exitStatus == c.exit)
  }

  @Test func discoveredMatchesBecomeBindingsToRecord() {
    let unbound = LocalKey(name: "imported", fingerprints: ["sha1-pkcs8": "ab:cd"])
    let r = Reconciler.reconcile(
      [unbound], [listing(scopeA, [ListedKeyPair(keyName: "imp", keyFingerprint: "ab:cd", keyPairId: "key-7")])],
      options: .init(now: now))
    #expect(
      r.entries == [
        AuditEntry(
          state: .inSync, scope: scopeA, keyName: "imp", localKey: "imported",
          matchedKind: "sha1-pkcs8", cloudFingerprint: "ab:cd", keyPairId: "key-7", discovered: true)
      ])
    #expect(r.exitStatus == 0)
  }

  @Test func replacedNameIsNotAlsoCloudOnly() {
    let r = Reconciler.reconcile(
      [rsa], [listing(scopeA, [ListedKeyPair(keyName: "web", keyFingerprint: "ff:ff:ff")])], options: .init(now: now))
    #expect(r.entries.map(\.state) == [.replaced])
    #expect(r.instanceQueries == [scopeA: ["web"]])
  }

  @Test func instanceCountsApplyWithoutReconcilingAgain() {
    var r = Reconciler.reconcile([rsa], [listing(scopeA, [])], options: .init(now: now))
    #expect(r.entries.first?.instancesInUse == nil)
    r.applyInstanceCounts([scopeA: ["web": 4], scopeB: ["web": 9]])
    #expect(r.entries.first?.instancesInUse == 4)
    #expect(r == Reconciler.reconcile([rsa], [listing(scopeA, [], counts: ["web": 4])], options: .init(now: now)))
  }

  @Test func unlistedScopesProduceNothing() {
    let r = Reconciler.reconcile([rsa], [listing(scopeB, [])], options: .init(now: now))
    #expect(r.entries.isEmpty)
    #expect(r.exitStatus == 0)
  }

  @Test func movedSaysWhere() throws {
    let r = Reconciler.reconcile(
      [rsa], [listing(scopeA, []), listing(scopeB, [ListedKeyPair(keyName: "web2", keyFingerprint: "44:55:66")])],
      options: .init(now: now))
    let moved = try #require(r.entries.first { $0.state == .moved })
    #expect(moved.movedTo?.scope == scopeB)
    #expect(moved.movedTo?.keyName == "web2")
    #expect(r.entries.contains { $0.state == .inSync && $0.discovered && $0.keyName == "web2" })
  }

  @Test func anotherBindingOfTheSameKeyIsNotAMove() {
    var both = rsa
    both.bindings.append(KeyBinding(scope: scopeB, keyName: "web"))
    let r = Reconciler.reconcile(
      [both], [listing(scopeA, []), listing(scopeB, [ListedKeyPair(keyName: "web", keyFingerprint: "aa:bb:cc")])],
      options: .init(now: now))
    #expect(r.entries.map(\.state).sorted() == [.inSync, .orphaned])
  }

  @Test func errorsWinOverDriftInTheExitStatus() {
    let r = Reconciler.reconcile(
      [rsa],
      [
        listing(scopeA, []),
        CloudListing(scope: scopeB, result: .failure(ListingFailure(kind: "network", message: "x"))),
      ],
      options: .init(now: now))
    #expect(r.failures[scopeB]?.kind == "network")
    #expect(r.exitStatus == 2)
  }

  @Test func normalizationIgnoresCaseOnlyForHex() {
    #expect(Reconciler.normalize(" AA:BB \n") == "aa:bb")
    #expect(Reconciler.normalize("MD5:AA:BB") == "aa:bb")
    #expect(Reconciler.normalize("AbC=") == "AbC=")
  }

  @Test func fiftyThousandItemsReconcile() {
    var keys: [LocalKey] = []
    var pairs: [ListedKeyPair] = []
    for i in 0..<5000 {
      let fp = String(format: "%02x:%02x:%02x", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff)
      keys.append(
        LocalKey(
          name: "k\(i)", fingerprints: ["md5-spki": fp],
          bindings: [KeyBinding(scope: scopeA, keyName: "k\(i)")]))
      pairs.append(ListedKeyPair(keyName: "k\(i)", keyFingerprint: fp))
    }
    let r = Reconciler.reconcile(keys, [listing(scopeA, pairs)], options: .init(now: now))
    #expect(r.counts == [.inSync: 5000])
  }
}
