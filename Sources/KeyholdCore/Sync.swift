import Audit
import Cloud
import HostBook
import Vault

/// `keyhold sync` (and `keyhold audit` when it asks the cloud): list the cloud's key pairs, reconcile them with the
/// vault, and store what was learned. Nothing here needs the vault passphrase.
///
/// What a sync may conclude is governed by evidence (keyhold-audit(1)): a binding is orphaned only when its own
/// scope was listed successfully and the key's fingerprints appear nowhere the sync could see; a binding whose
/// region is unknown makes the sync list every region of the account; a scope that could not be listed changes
/// nothing stored about it; a key pair the sync finds by fingerprint becomes a learned binding.
public struct Sync: Sendable {
  /// Settings of one sync.
  public struct Request: Sendable {
    /// List every region DescribeRegions names.
    public var allRegions: Bool
    /// How long a key pair never seen listed may be missing before it counts as orphaned, in seconds.
    public var pendingGrace: Int64
    /// Pauses before re-listing regions that still show pending key pairs.
    public var pendingRetryDelays: [Double]
    /// Called with (regions listed, regions in all) as listings complete.
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// How instances are listed and their consoles read; nil lists no instances.
    public var instances: InstanceSweep?

    /// Creates a request; the defaults are those of `keyhold sync`.
    public init(
      allRegions: Bool = false, pendingGrace: Int64 = 300, pendingRetryDelays: [Double] = [1, 2, 4],
      progress: (@Sendable (Int, Int) -> Void)? = nil, instances: InstanceSweep? = InstanceSweep()
    ) {
      self.allRegions = allRegions
      self.pendingGrace = pendingGrace
      self.pendingRetryDelays = pendingRetryDelays
      self.progress = progress
      self.instances = instances
    }
  }

  /// What a sync did.
  public struct Outcome: Sendable {
    /// The report, as stored (scopes that failed carry the last good results).
    public var report: AuditReport
    /// The regions listed.
    public var regions: [String]
    /// Whether the vault's status section was written.
    public var wroteStatus: Bool
    /// The account the credentials belong to, when the cloud said.
    public var account: CloudAccount?
    /// Bindings whose unknown region (or cloud, or account) this sync found, as `key: region/name`.
    public var resolved: [String]
    /// Key pairs found by fingerprint and now recorded as bindings, as `key: region/name`.
    public var learned: [String]
    /// The instance half (nil when the request asked for none), stored in `VAULT.instances`.
    public var instances: InstanceSweep.Outcome? = nil
    /// Why the instances could not be stored, when they could not.
    public var instancesError: String? = nil
  }

  /// The cloud.
  public var context: CloudContext
  /// The vault.
  public var store: VaultStore
  /// Time and pauses.
  public var clock: UseCaseClock
  /// How the account of the credentials is found (STS, or an EC2 owner id); injected so tests can give one.
  public var lookUpAccount: @Sendable (CloudContext) async throws(CloudError) -> CloudAccount?

  /// Creates a sync.
  public init(
    context: CloudContext, store: VaultStore, clock: UseCaseClock = .system,
    lookUpAccount: @escaping @Sendable (CloudContext) async throws(CloudError) -> CloudAccount? = Sync.cloudAccount
  ) {
    self.context = context
    self.store = store
    self.clock = clock
    self.lookUpAccount = lookUpAccount
  }

  /// Runs the sync and stores its result.
  public func run(_ request: Request = Request()) async throws -> Outcome {
    let view = try store.readPublic()
    let ctx = try await context.withAccount(lookUpAccount)
    let bindings = Dictionary(
      uniqueKeysWithValues: view.entries.map { ($0.id, KeyBindings.of($0, in: view, context: ctx)) })
    // A binding takes part when what it knows of its place agrees with this cloud: its endpoint, and its account
    // when both it and the cloud know one.
    let covered = { (b: KeyBindingState) -> Bool in
      (b.place.endpoint.isEmpty || b.place.endpoint == ctx.endpointIdentity)
        && (b.place.account.isEmpty || b.place.account == ctx.accountID)
    }

    // Which regions: --region; else every region when asked, or when a binding here has no region yet (its key
    // pair is looked for by fingerprint in each); else the configured one and every region a binding names.
    var regions: [String]
    var sweptWhole = false
    let needsEveryRegion = bindings.values.joined().contains { covered($0) && $0.place.region.isEmpty }
    if !ctx.explicitRegions.isEmpty {
      regions = ctx.explicitRegions
    } else if request.allRegions || needsEveryRegion {
      do {
        regions = try await ctx.client(region: ctx.defaultRegion).describeRegions().map(\.name).sorted()
      } catch {
        throw KeyholdError("cannot list the regions: \(error)", hint: Sync.hint(for: error), status: 2)
      }
      if !regions.contains(ctx.defaultRegion) { regions.insert(ctx.defaultRegion, at: 0) }
      sweptWhole = true
    } else {
      var set = Set([ctx.defaultRegion])
      for b in bindings.values.joined() where covered(b) && !b.place.region.isEmpty { set.insert(b.place.region) }
      regions = [ctx.defaultRegion] + set.subtracting([ctx.defaultRegion]).sorted()
    }

    // Vault keys as the audit sees them; only bindings this cloud and these regions can speak about take part.
    let wanted = Set(regions)
    var origins: [Origin: KeyBindingState] = [:]
    let keys = view.entries.map { entry -> LocalKey in
      var list: [KeyBinding] = []
      for b in bindings[entry.id] ?? [] where covered(b) && (b.place.region.isEmpty || wanted.contains(b.place.region))
      {
        let scope = b.place
        let seen = (b.record?.lastListedAt ?? 0) > 0
        list.append(
          KeyBinding(
            scope: scope, keyName: b.keyName, keyPairId: b.sealed.flatMap { $0.keyPairID.isEmpty ? nil : $0.keyPairID },
            createdAt: b.sealed.flatMap { $0.createdAt > 0 ? $0.createdAt : nil }, seenBefore: seen))
        origins[Origin(localKey: entry.name, location: KeyPairLocation(scope: scope, keyName: b.keyName))] = b
      }
      var fingerprints: [String: String] = [:]
      for f in entry.fingerprints where !f.value.isEmpty { fingerprints[f.kind] = f.value }
      return LocalKey(name: entry.name, fingerprints: fingerprints, bindings: list)
    }

    let sweep = RegionSweep(maxConcurrent: 8) { [ctx] in ctx.client(region: $0) }
    let total = regions.count
    let progress = request.progress
    var listings = await sweep.describeKeyPairs(in: regions) { done in progress?(done, total) }
      .map { Sync.listing($0, scope: ctx.scope($0.region)) }
    let swept: Set<CloudScope> = sweptWhole ? [ctx.scope("")] : []
    func reconcile() -> AuditReport {
      Reconciler.reconcile(
        keys, listings,
        options: .init(now: clock.now(), pendingGrace: request.pendingGrace, sweptAccounts: swept))
    }
    var report = reconcile()

    // EC2 is eventually consistent: a key pair made moments ago may not be listed yet. Ask again a few times before
    // leaving it pending (it becomes orphaned only once the grace period is over).
    for delay in request.pendingRetryDelays where report.entries.contains(where: { $0.state == .pending }) {
      await clock.pause(delay)
      let pendingRegions = Set(report.entries.filter { $0.state == .pending }.map(\.scope.region))
      let again = pendingRegions.contains("") ? regions : pendingRegions.sorted()
      for r in await sweep.describeKeyPairs(in: again) {
        if let i = listings.firstIndex(where: { $0.scope.region == r.region }) {
          listings[i] = Sync.listing(r, scope: ctx.scope(r.region))
        }
      }
      report = reconcile()
    }

    // Orphaned is not dead: count the instances still launched with each orphaned or replaced key pair. A key pair
    // with no known region is asked about in every region listed. A failed question leaves the count unknown.
    var queries: [String: Set<String>] = [:]
    for e in report.entries where e.state == .orphaned || e.state == .replaced {
      for region in e.scope.region.isEmpty ? regions : [e.scope.region] {
        queries[region, default: []].insert(e.keyName)
      }
    }
    if !queries.isEmpty {
      let answers = await sweep.instanceCounts(queries.mapValues { $0.sorted() })
      for i in report.entries.indices where report.entries[i].state == .orphaned || report.entries[i].state == .replaced
      {
        let e = report.entries[i]
        var sum = 0
        var known = true
        for region in e.scope.region.isEmpty ? regions : [e.scope.region] {
          guard case .success(let counts)? = answers[region] else {
            known = false
            continue
          }
          sum += counts[e.keyName] ?? 0
        }
        report.entries[i].instancesInUse = known ? sum : nil
      }
    }

    let (wrote, resolved, learned) = try storeStatus(report, origins: origins, view: view)
    let previous = try? AuditStore(vaultPath: store.path).load()
    let stored = AuditStore.merge(report, previous: previous ?? nil)
    try? AuditStore(vaultPath: store.path).save(stored)
    var outcome = Outcome(
      report: stored, regions: regions, wroteStatus: wrote, account: ctx.account, resolved: resolved,
      learned: learned)
    if let sweepInstances = request.instances {
      let listed = listings.compactMap { l -> String? in
        if case .success = l.result { return l.scope.region }
        return nil
      }
      (outcome.instances, outcome.instancesError) = await storeInstances(
        sweepInstances, context: ctx, regions: listed, report: report, view: view)
    }
    return outcome
  }

  /// Lists the instances of the regions listed and replaces `VAULT.instances`. An instances file that cannot be
  /// read is left as it is (and nothing is listed): a damaged file is the user's to look at, not to overwrite.
  func storeInstances(
    _ sweep: InstanceSweep, context ctx: CloudContext, regions: [String], report: AuditReport, view: VaultPublicView
  ) async -> (InstanceSweep.Outcome?, String?) {
    let book = HostBook(vaultPath: store.path)
    let previous: [CloudInstance]
    do { previous = try book.instances() } catch { return (nil, "\(error)") }
    let result = await sweep.run(
      context: ctx, regions: regions, report: report, view: view, previous: previous, now: clock.now())
    do { try book.saveInstances(result.instances) } catch { return (result, "\(error)") }
    return (result, nil)
  }

  /// Where a reconciled binding came from: the key and the place it was looked for.
  struct Origin: Hashable {
    var localKey: String
    var location: KeyPairLocation
  }

  /// Writes one status record per reconciled binding and one per key pair found by fingerprint. Scopes that failed
  /// change nothing; when nothing was learned the vault is not written at all.
  func storeStatus(_ report: AuditReport, origins: [Origin: KeyBindingState], view: VaultPublicView) throws -> (
    Bool, [String], [String]
  ) {
    let ids = Dictionary(view.entries.map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
    var records: [VaultStatusRecord] = []
    var resolved: [String] = []
    var learned: [String] = []
    for e in report.entries where e.state != .error && e.asOf == nil {
      guard let local = e.localKey, let id = ids[local],
        let state = e.state.vaultState ?? (e.discovered ? .inSync : nil)
      else { continue }
      let origin = origins[Origin(localKey: local, location: e.binding)]
      if origin == nil && !e.discovered { continue }
      let listedNow = [.inSync, .idChanged, .replaced, .unverifiable].contains(e.state) && e.cloudFingerprint != nil
      var flags: VaultStatusRecord.Flags = e.state == .orphaned ? [.orphaned] : []
      var resolves: VaultBindingKey?
      if let sealed = origin?.sealed {
        // The record names where the key pair is; when that is not exactly what the sealed binding stores (parts
        // unknown, or stored under an older spelling of the endpoint), it says which binding it is about.
        let place = VaultBindingKey(
          cloud: e.scope.endpoint, account: e.scope.account, region: e.scope.region, keyName: e.keyName)
        if place != sealed.key { resolves = sealed.key }
        if e.boundAs != nil && listedNow { resolved.append("\(local): \(e.scope.region)/\(e.keyName)") }
      } else {
        flags.insert(.learned)
        if origin == nil { learned.append("\(local): \(e.scope.region)/\(e.keyName)") }
      }
      let previous = origin?.record
      records.append(
        VaultStatusRecord(
          entryID: id, cloud: e.scope.endpoint, account: e.scope.account, region: e.scope.region, keyName: e.keyName,
          checkedAt: report.generatedAt, state: state, matchedFingerprintKind: e.matchedKind ?? "",
          instancesInUse: e.instancesInUse, observedKeyPairID: e.keyPairId ?? "", detail: Sync.detail(e),
          flags: flags, resolves: resolves,
          lastListedAt: listedNow ? report.generatedAt : previous?.lastListedAt ?? 0,
          observedFingerprint: e.cloudFingerprint ?? previous?.observedFingerprint ?? ""))
    }
    guard !records.isEmpty else { return (false, resolved, learned) }
    // A record that resolves a sealed binding replaces whatever was known of that binding before (its place may
    // have been unknown then).
    let resolving = Set(records.compactMap { r in r.resolves.map { ResolvedKey(entryID: r.entryID, binding: $0) } })
    try store.updateStatus { status, _ in
      if !resolving.isEmpty {
        status.removeAll { r in
          r.resolves.map { resolving.contains(ResolvedKey(entryID: r.entryID, binding: $0)) } ?? false
        }
      }
      status.set(contentsOf: records)
    }
    return (true, resolved, learned)
  }

  struct ResolvedKey: Hashable {
    var entryID: VaultEntryID
    var binding: VaultBindingKey
  }

  static func detail(_ e: AuditEntry) -> String {
    switch e.state {
    case .moved: return e.movedTo.map { "now \($0.scope.region)/\($0.keyName)" } ?? ""
    case .idChanged: return "key pair id was \(e.recordedKeyPairId ?? "")"
    case .replaced: return "cloud fingerprint \(e.cloudFingerprint ?? "")"
    case .unverifiable: return e.note ?? ""
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

  /// A guess at the fix for a cloud error.
  public static func hint(for error: any Error) -> String? {
    guard let e = error as? CloudError else { return nil }
    switch e {
    case .authFailure: return "check the access key and secret key (AWS_ACCESS_KEY_ID, --profile, euca2ools user)"
    case .network, .timeout: return "check the endpoint URL and that it is reachable (--endpoint, AWS_ENDPOINT_URL)"
    case .unauthorizedOperation: return "the credentials may not make this call; check the IAM policy"
    case .throttled: return "the cloud is throttling requests; try again in a minute"
    case .keyPairDuplicate: return "the cloud already has a key pair with that name; pick another with --key-name"
    case .keyPairNotFound: return "`keyhold audit --refresh` shows which key pairs the cloud has"
    default: return nil
    }
  }

  /// The account of the context's credentials, as the cloud reports it (STS, else an EC2 owner id); nil when no
  /// call names one. A failed call is an error: it proves nothing about the account.
  public static let cloudAccount: @Sendable (CloudContext) async throws(CloudError) -> CloudAccount? = {
    (ctx: CloudContext) async throws(CloudError) -> CloudAccount? in
    switch await ctx.client(region: ctx.defaultRegion).lookUpAccount() {
    case .known(let a): return a
    case .unknown: return nil
    case .failed(let e): throw e
    }
  }
}
