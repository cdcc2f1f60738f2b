import Audit
import Testing

/// Orphaned is a conclusion from evidence: these pin when the reconciler may draw it and when it must not.
struct EvidenceTests {
  static let account = CloudScope(endpoint: "aws", account: "123456789012", region: "")
  static let east = CloudScope(endpoint: "aws", account: "123456789012", region: "us-east-1")
  static let west = CloudScope(endpoint: "aws", account: "123456789012", region: "eu-west-1")

  /// A key imported from `aws ec2 create-key-pair` output: name and fingerprint, no region.
  static func imported(scope: CloudScope = account, created: Int64? = nil) -> LocalKey {
    LocalKey(
      name: "k", fingerprints: ["sha1-pkcs8": "aa:bb:cc:dd"],
      bindings: [KeyBinding(scope: scope, keyName: "k", createdAt: created)])
  }

  @Test func aBindingWithNoRegionIsFoundByFingerprintInTheRegionThatHasIt() throws {
    let r = Reconciler.reconcile(
      [Self.imported()],
      [listing(Self.east, []), listing(Self.west, [ListedKeyPair(keyName: "k", keyFingerprint: "AA:BB:CC:DD")])],
      options: .init(now: now, sweptAccounts: [Self.account]))
    #expect(r.entries.count == 1)
    let e = try #require(r.entries.first)
    #expect(e.state == .inSync && e.scope == Self.west && e.matchedKind == "sha1-pkcs8")
    #expect(e.boundAs == KeyPairLocation(scope: Self.account, keyName: "k"))
    #expect(r.exitStatus == 0)
  }

  @Test func aSameNamedKeyPairWithAnotherFingerprintDoesNotPlaceTheBinding() {
    let r = Reconciler.reconcile(
      [Self.imported()],
      [
        listing(Self.east, [ListedKeyPair(keyName: "k", keyFingerprint: "00:00:00:00")]),
        listing(Self.west, [ListedKeyPair(keyName: "k", keyFingerprint: "aa:bb:cc:dd")]),
      ], options: .init(now: now, sweptAccounts: [Self.account]))
    #expect(r.entries.contains { $0.state == .inSync && $0.scope == Self.west && $0.localKey == "k" })
    #expect(r.entries.contains { $0.state == .cloudOnly && $0.scope == Self.east })
  }

  @Test func aBindingWithNoRegionIsOrphanedOnlyAfterEveryRegionOfItsAccountWasListed() {
    let listings = [listing(Self.east, []), listing(Self.west, [])]
    let swept = Reconciler.reconcile(
      [Self.imported()], listings, options: .init(now: now, sweptAccounts: [Self.account]))
    #expect(swept.entries.map(\.state) == [.orphaned])
    #expect(swept.entries.first?.scope == Self.account)
    let partial = Reconciler.reconcile([Self.imported()], listings, options: .init(now: now))
    #expect(partial.entries.map(\.state) == [.unverifiable])
  }

  @Test func aRegionThatFailedLeavesABindingWithNoRegionUnchecked() throws {
    let r = Reconciler.reconcile(
      [Self.imported()],
      [listing(Self.east, []), CloudListing(scope: Self.west, result: .failure(.init(kind: "timeout", message: "t")))],
      options: .init(now: now, sweptAccounts: [Self.account]))
    let e = try #require(r.entries.first { $0.localKey == "k" })
    #expect(e.state == .error)
    #expect(e.failure?.kind == "incomplete")
    #expect(r.exitStatus == 2)
  }

  @Test func aFailedRegionElsewhereDoesNotStopACheckedBindingFromBeingOrphaned() {
    let key = Self.imported(scope: Self.east)
    let r = Reconciler.reconcile(
      [key],
      [listing(Self.east, []), CloudListing(scope: Self.west, result: .failure(.init(kind: "auth", message: "a")))],
      options: .init(now: now))
    #expect(r.entries.map(\.state) == [.orphaned])
  }

  @Test func aBindingWhoseAccountIsUnknownIsNeverOrphanedByAnotherAccountsListing() {
    let unknown = CloudScope(endpoint: "", account: "", region: "")
    let r = Reconciler.reconcile(
      [Self.imported(scope: unknown)], [listing(Self.east, []), listing(Self.west, [])],
      options: .init(now: now, sweptAccounts: [Self.account]))
    #expect(r.entries.map(\.state) == [.unverifiable])
    #expect(r.entries.first?.note?.contains("which cloud account") == true)
  }

  @Test func aBindingWithNoRegionMadeMomentsAgoIsPending() {
    let r = Reconciler.reconcile(
      [Self.imported(created: now - 10)], [listing(Self.east, []), listing(Self.west, [])],
      options: .init(now: now, sweptAccounts: [Self.account]))
    #expect(r.entries.map(\.state) == [.pending])
  }

  @Test func aFingerprintOfAKindTheKeyHasNoFormulaForIsUnverifiableNotReplaced() throws {
    // An RSA key has MD5/SHA-1 formulas; a base64 SHA-256 value says nothing about it.
    let key = Self.imported(scope: Self.east)
    let r = Reconciler.reconcile(
      [key],
      [
        listing(
          Self.east, [ListedKeyPair(keyName: "k", keyFingerprint: "6E3hCnJH8o2ye4Xl8Q1O3ZzQYw3cl3nS+0rlqvhi0cI=")])
      ],
      options: .init(now: now))
    let e = try #require(r.entries.first)
    #expect(e.state == .unverifiable)
    let same = Reconciler.reconcile(
      [key], [listing(Self.east, [ListedKeyPair(keyName: "k", keyFingerprint: "11:22:33:44")])],
      options: .init(now: now))
    #expect(same.entries.map(\.state) == [.replaced])
  }

  @Test func fingerprintShapesTellHexFromBase64AndCountBytes() {
    #expect(Reconciler.shape(of: "aa:bb:cc") == .init(base64: false, bytes: 3))
    #expect(Reconciler.shape(of: "aabbcc") == .init(base64: false, bytes: 3))
    #expect(Reconciler.shape(of: "6E3hCnJH8o2ye4Xl8Q1O3ZzQYw3cl3nS+0rlqvhi0cI=") == .init(base64: true, bytes: 32))
    #expect(Reconciler.shape(of: "not a fingerprint") == nil)
  }

  @Test func timesRenderAsRFC3339AndShortForms() {
    #expect(AuditTime.rfc3339(0) == "1970-01-01T00:00:00Z")
    #expect(AuditTime.rfc3339(1_800_000_000) == "2027-01-15T08:00:00Z")
    #expect(AuditTime.rfc3339(951_782_400) == "2000-02-29T00:00:00Z")
    #expect(AuditTime.short(1_800_000_000, now: 1_800_000_300) == "08:00 UTC")
    #expect(AuditTime.short(1_800_000_000, now: 1_800_100_000) == "2027-01-15 08:00 UTC")
    #expect(AuditTime.age(1_800_000_000, now: 1_800_000_240) == "4 minutes ago")
    #expect(AuditTime.age(1_800_000_000, now: 1_800_000_010) == "just now")
  }
}
