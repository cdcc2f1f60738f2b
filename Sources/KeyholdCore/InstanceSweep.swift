import Audit
import Cloud
import HostBook
import Vault

/// The instance half of a sync (keyhold-sync(1), INSTANCES): list the instances of every region whose key pairs
/// were listed, map each instance's key pair to the vault key the reconciler bound to that name in that scope, and
/// read the console of running instances whose host keys are not known yet.
///
/// The same evidence rules as for key pairs: a region whose instances could not be listed keeps its stored
/// records, and so does every scope this sync did not look at. A console that is still empty (cloud-init has not
/// printed yet, or the cloud keeps no console) is not an error; the instance is read again at the next sync.
public struct InstanceSweep: Sendable {
  /// What the instance half did.
  public struct Outcome: Sendable, Equatable {
    /// The records to store: this sync's for the regions listed, the earlier ones for every other scope.
    public var instances: [CloudInstance]
    /// Instances listed by this sync (terminated ones left out).
    public var seen: Int
    /// Instances whose host keys this sync read from the console.
    public var hostKeysLearned: Int
    /// Regions whose instances could not be listed, with the error.
    public var failures: [String: CloudError]
  }

  /// How many DescribeInstances calls may be in flight.
  public var maxConcurrentListings = 8
  /// How many consoles may be read at once.
  public var maxConcurrentConsoles = 4
  /// The most consoles one sync reads; the rest wait for the next sync.
  public var maxConsoleReads = 64

  /// Creates a sweep with the defaults of `keyhold sync`.
  public init() {}

  /// Lists, maps and reads. `regions` are the regions whose key pairs were listed successfully.
  public func run(
    context ctx: CloudContext, regions: [String], report: AuditReport, view: VaultPublicView,
    previous: [CloudInstance], now: Int64
  ) async -> Outcome {
    let endpoint = ctx.endpointIdentity
    let account = ctx.accountID.isEmpty ? nil : ctx.accountID
    func sameScope(_ i: CloudInstance, _ region: String) -> Bool {
      i.endpoint == endpoint && (i.account ?? "") == (account ?? "") && i.region == region
    }

    let listed = await Self.bounded(regions, width: maxConcurrentListings) {
      region -> Result<[ListedInstance], CloudError> in
      do throws(CloudError) {
        return .success(try await ctx.client(region: region).describeInstances())
      } catch {
        return .failure(error)
      }
    }

    let keys = Self.keyMap(report)
    let byName = Dictionary(view.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    var failures: [String: CloudError] = [:]
    var fresh: [CloudInstance] = []
    var keep: [CloudInstance] = previous.filter { p in !regions.contains { sameScope(p, $0) } }
    for (region, result) in zip(regions, listed) {
      switch result {
      case .failure(let e):
        failures[region] = e
        keep += previous.filter { sameScope($0, region) }
      case .success(let instances):
        let earlier = Dictionary(
          previous.filter { sameScope($0, region) }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for i in instances where i.state != "terminated" {
          var record = CloudInstance(
            endpoint: endpoint, account: account, region: region, id: i.id, name: i.name, state: i.state,
            publicIP: i.publicIP, privateIP: i.privateIP, publicDNS: i.publicDNS, privateDNS: i.privateDNS,
            keyName: i.keyName, launchTime: i.launchTime)
          if let keyName = i.keyName, let local = keys[Place(region: region, keyName: keyName)],
            let entry = byName[local]
          {
            record.vaultKey = entry.name
            record.keyFingerprint = HostBook.fingerprint(ofBlob: entry.publicKeyBlob)
          }
          // Host keys read earlier stay: an instance's host keys do not change while its id stays the same, and
          // its console may have scrolled past the block or be empty after a stop and start.
          if let old = earlier[i.id], !old.hostKeys.isEmpty {
            record.hostKeys = old.hostKeys
            record.hostKeysAt = old.hostKeysAt
          }
          fresh.append(record)
        }
      }
    }

    // Consoles of running instances with no host keys yet, oldest listing order first, at most maxConsoleReads.
    let toRead = fresh.indices.filter { fresh[$0].state == "running" && fresh[$0].hostKeys.isEmpty }
      .prefix(maxConsoleReads)
    let targets = toRead.map { (fresh[$0].region, fresh[$0].id) }
    let consoles = await Self.bounded(targets.map { $0.0 + " " + $0.1 }, width: maxConcurrentConsoles) { pair in
      let parts = pair.split(separator: " ", maxSplits: 1).map(String.init)
      do throws(CloudError) {
        return ConsoleHostKeys.parse(try await ctx.client(region: parts[0]).consoleOutput(instanceID: parts[1]))
      } catch {
        // A console that cannot be read is tried again next time; it proves nothing about the instance.
        return []
      }
    }
    var learned = 0
    for (index, hostKeys) in zip(toRead, consoles) where !hostKeys.isEmpty {
      fresh[index].hostKeys = hostKeys
      fresh[index].hostKeysAt = AuditTime.rfc3339(now)
      learned += 1
    }
    return Outcome(instances: keep + fresh, seen: fresh.count, hostKeysLearned: learned, failures: failures)
  }

  struct Place: Hashable {
    var region: String
    var keyName: String
  }

  /// Key pair (region, name) → vault key name, as the reconciler matched them: a key pair listed with one of the
  /// key's fingerprints (in sync, id changed, or of a kind the key cannot verify), or the key's own binding whose
  /// key pair is gone (orphaned: instances launched with it still open with the vault key). A replaced key pair
  /// holds another key, so it maps to nothing.
  static func keyMap(_ report: AuditReport) -> [Place: String] {
    var out: [Place: String] = [:]
    let states: Set<AuditState> = [.inSync, .idChanged, .unverifiable, .orphaned]
    for e in report.entries.sorted(by: { ($0.localKey ?? "") < ($1.localKey ?? "") })
    where states.contains(e.state) && e.asOf == nil {
      guard let local = e.localKey, !e.scope.region.isEmpty else { continue }
      let place = Place(region: e.scope.region, keyName: e.keyName)
      if out[place] == nil { out[place] = local }
    }
    return out
  }

  /// Runs `body` over `items` with at most `width` in flight; results in the order of `items`.
  static func bounded<T: Sendable>(
    _ items: [String], width: Int, _ body: @escaping @Sendable (String) async -> T
  ) async -> [T] {
    var out = [T?](repeating: nil, count: items.count)
    await withTaskGroup(of: (Int, T).self) { group in
      var next = 0
      func launch() {
        let i = next
        let item = items[i]
        group.addTask { (i, await body(item)) }
        next += 1
      }
      while next < items.count && next < max(1, width) { launch() }
      while let (i, value) = await group.next() {
        out[i] = value
        if next < items.count { launch() }
      }
    }
    return out.compactMap { $0 }
  }
}
