import Audit
import Cloud
import Foundation
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold sync` and `keyhold audit --refresh`: list the cloud, reconcile with the vault, store the result.
///
/// The composition root for the cloud: it turns vault entries into audit keys, cloud answers into audit listings,
/// and the report back into vault status records. Nothing here needs the vault passphrase.
struct CloudSync {
  /// The resolved cloud.
  var cloud: ResolvedCloud
  /// The vault.
  var store: VaultStore
  /// Query every region DescribeRegions lists.
  var allRegions = false
  /// Print a progress line on standard error (a terminal and more than a few regions).
  var progress = false
  /// How long a key pair made moments ago may be missing before it counts as orphaned, in seconds.
  var pendingGrace: Int64 = 300
  /// Pauses before re-listing regions that still show pending key pairs.
  var pendingRetryDelays: [Double] = [1, 2, 4]

  /// Where a reconciled (key, binding) came from in the vault.
  struct Origin: Hashable {
    var scope: CloudScope
    var keyName: String
    var localKey: String
  }

  /// The outcome of a sync.
  struct Outcome {
    var report: AuditReport
    var regions: [String]
    var wroteStatus: Bool
  }

  /// Runs the sync and stores the result (status records in the vault, the full report beside it).
  func run() throws -> Outcome {
    let view = try withVaultErrors { try store.readPublic() }
    let transport = URLSessionTransport()
    let target = cloud.target
    var regions = cloud.target.regions
    if allRegions {
      let first = cloud.client(region: cloud.defaultRegion, transport: transport)
      let listed = try blocking { try await first.describeRegions() }
      regions = listed.map(\.name).sorted()
    } else if cloud.explicitRegions.isEmpty {
      // Every region the vault has keys bound in, plus the configured one.
      var set = Set([cloud.defaultRegion])
      for e in view.entries { for b in e.bindings where cloud.covers(b) { set.insert(cloud.region(of: b.region)) } }
      regions = [cloud.defaultRegion] + set.subtracting([cloud.defaultRegion]).sorted()
    }
    let scopeOf = { (region: String) in
      CloudScope(endpoint: target.endpointName, account: target.account, region: region)
    }
    // Vault entries as audit keys; only bindings to this cloud and the listed regions take part.
    var origins: [Origin: (VaultEntry, VaultBinding)] = [:]
    origins.reserveCapacity(view.entries.reduce(0) { $0 + $1.bindings.count })
    let wanted = Set(regions)
    let keys = view.entries.map { entry -> LocalKey in
      var bindings: [KeyBinding] = []
      for b in entry.bindings where cloud.covers(b) && wanted.contains(cloud.region(of: b.region)) {
        let scope = scopeOf(cloud.region(of: b.region))
        // A binding an earlier sync found listed cannot be "not visible yet" any more.
        let seen =
          view.status.record(for: b, of: entry.id).map { $0.state != .pending && $0.state != .error } ?? false
        bindings.append(
          KeyBinding(
            scope: scope, keyName: b.keyName, keyPairId: b.keyPairID.isEmpty ? nil : b.keyPairID,
            createdAt: b.createdAt > 0 ? b.createdAt : nil, seenBefore: seen))
        origins[Origin(scope: scope, keyName: b.keyName, localKey: entry.name)] = (entry, b)
      }
      var fingerprints: [String: String] = [:]
      for f in entry.fingerprints where !f.value.isEmpty { fingerprints[f.kind] = f.value }
      return LocalKey(name: entry.name, fingerprints: fingerprints, bindings: bindings)
    }

    let sweep = RegionSweep(maxConcurrent: 8) { [cloud] in cloud.client(region: $0, transport: transport) }
    let showProgress = progress && regions.count > 3
    let total = regions.count
    let listed = regions
    var listings = try blocking {
      await sweep.describeKeyPairs(in: listed) { done in
        if showProgress { printProgress("keyhold: listing key pairs: \(done)/\(total) regions") }
      }
    }.map { Self.listing($0, scope: scopeOf($0.region)) }
    if showProgress { printProgress(nil) }
    let now = Int64(time(nil))
    var report = Reconciler.reconcile(keys, listings, options: .init(now: now, pendingGrace: pendingGrace))

    // EC2 is eventually consistent: a key pair made moments ago may not be listed yet. Ask again a few times before
    // leaving it pending (it becomes orphaned only once the grace period is over).
    for delay in pendingRetryDelays where report.entries.contains(where: { $0.state == .pending }) {
      Thread.sleep(forTimeInterval: delay)
      let again = Array(Set(report.entries.filter { $0.state == .pending }.map(\.scope.region))).sorted()
      let relisted = try blocking { await sweep.describeKeyPairs(in: again) }
      for r in relisted {
        if let i = listings.firstIndex(where: { $0.scope.region == r.region }) {
          listings[i] = Self.listing(r, scope: scopeOf(r.region))
        }
      }
      report = Reconciler.reconcile(keys, listings, options: .init(now: Int64(time(nil)), pendingGrace: pendingGrace))
    }

    // Orphaned is not dead: count the instances still launched with each orphaned or replaced key pair.
    let queries = report.instanceQueries
    if !queries.isEmpty {
      let byRegion = Dictionary(uniqueKeysWithValues: queries.map { ($0.key.region, $0.value) })
      let counts = try blocking { await sweep.instanceCounts(byRegion) }
      var byScope: [CloudScope: [String: Int]] = [:]
      for (region, result) in counts {
        if case .success(let c) = result { byScope[scopeOf(region)] = c }
      }
      report.applyInstanceCounts(byScope)
    }

    let wrote = try storeStatus(report, origins: origins)
    try? AuditCache(vaultPath: store.path).save(report)
    return Outcome(report: report, regions: regions, wroteStatus: wrote)
  }

  /// Writes one status record per reconciled binding. Scopes that failed change nothing (DESIGN.md §6), and when
  /// nothing was learned the vault is not written at all.
  func storeStatus(_ report: AuditReport, origins: [Origin: (VaultEntry, VaultBinding)]) throws -> Bool {
    var records: [VaultStatusRecord] = []
    for e in report.entries where e.state != .error {
      guard let local = e.localKey,
        let (entry, binding) = origins[Origin(scope: e.scope, keyName: e.keyName, localKey: local)]
      else { continue }
      records.append(
        VaultStatusRecord(
          entryID: entry.id, cloud: binding.cloud, account: binding.account, region: binding.region,
          keyName: binding.keyName,
          checkedAt: report.generatedAt, state: e.state.rawValue, matchedFingerprintKind: e.matchedKind ?? "",
          instancesInUse: e.instancesInUse, observedKeyPairID: e.keyPairId ?? "",
          detail: Self.detail(e), flags: e.state == .orphaned ? [.orphaned] : []))
    }
    guard !records.isEmpty else { return false }
    try withVaultErrors {
      try store.updateStatus { status, _ in status.set(contentsOf: records) }
    }
    return true
  }

  static func detail(_ e: AuditEntry) -> String {
    switch e.state {
    case .moved: return e.movedTo.map { "now \($0.scope.region)/\($0.keyName)" } ?? ""
    case .idChanged: return "key pair id was \(e.recordedKeyPairId ?? "")"
    case .replaced: return "cloud fingerprint \(e.cloudFingerprint ?? "")"
    default: return ""
    }
  }

  static func listing(_ r: RegionKeyPairs, scope: CloudScope) -> CloudListing {
    switch r.result {
    case .success(let pairs):
      return CloudListing(
        scope: scope,
        result: .success(
          pairs.map { ListedKeyPair(keyName: $0.keyName, keyFingerprint: $0.keyFingerprint, keyPairId: $0.keyPairId) }))
    case .failure(let e):
      return CloudListing(scope: scope, result: .failure(ListingFailure(kind: e.kind, message: e.description)))
    }
  }
}

/// Rewrites the current terminal line on standard error (nil clears it).
func printProgress(_ line: String?) {
  var s = "\r\u{1B}[K"
  if let line { s += line }
  _ = s.withCString { write(2, $0, strlen($0)) }
}
