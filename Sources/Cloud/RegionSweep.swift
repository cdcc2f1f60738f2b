/// The key pairs of one region, or why they could not be listed.
public struct RegionKeyPairs: Sendable {
  /// The region.
  public var region: String
  /// The listing or the failure.
  public var result: Result<[CloudKeyPair], CloudError>

  /// Creates a record.
  public init(region: String, result: Result<[CloudKeyPair], CloudError>) {
    self.region = region
    self.result = result
  }
}

/// Lists key pairs in many regions at once: one unfiltered DescribeKeyPairs per region, several in flight.
///
/// Regions fail independently: an auth failure or timeout in one is recorded for that region and the others still
/// complete, so the audit can say which region failed and why without concluding anything about it.
public struct RegionSweep: Sendable {
  /// The client of the first region; other regions use `client.with(region:)` or `clientForRegion`.
  public var clientForRegion: @Sendable (String) -> EC2Client
  /// How many calls may be in flight at once.
  public var maxConcurrent: Int

  /// Creates a sweep.
  public init(maxConcurrent: Int = 8, clientForRegion: @escaping @Sendable (String) -> EC2Client) {
    self.clientForRegion = clientForRegion
    self.maxConcurrent = max(1, maxConcurrent)
  }

  /// Creates a sweep over the regions of one resolved target.
  public init(
    target: CloudTarget, transport: any HTTPTransport = URLSessionTransport(), timeout: Double = 20,
    maxConcurrent: Int = 8
  ) {
    self.init(maxConcurrent: maxConcurrent) { region in
      EC2Client(
        endpoint: target.endpoint(for: region), credentials: target.credentials, transport: transport,
        timeout: timeout)
    }
  }

  /// Lists every region; results come back in the order of `regions`. `progress` is called with the number of
  /// regions done so far after each one finishes.
  public func describeKeyPairs(
    in regions: [String], progress: (@Sendable (Int) -> Void)? = nil
  ) async -> [RegionKeyPairs] {
    await run(regions, progress: progress) { client -> Result<[CloudKeyPair], CloudError> in
      do throws(CloudError) {
        return .success(try await client.describeKeyPairs())
      } catch {
        return .failure(error)
      }
    }.enumerated().map { RegionKeyPairs(region: regions[$0.offset], result: $0.element) }
  }

  /// Counts instances per key name in each region (`names` maps region → key names), concurrently.
  public func instanceCounts(_ names: [String: [String]]) async -> [String: Result<[String: Int], CloudError>] {
    let regions = names.keys.sorted()
    let results = await run(regions, progress: nil) { client -> Result<[String: Int], CloudError> in
      do throws(CloudError) {
        return .success(try await client.instanceCounts(keyNames: names[client.endpoint.region] ?? []))
      } catch {
        return .failure(error)
      }
    }
    return Dictionary(uniqueKeysWithValues: zip(regions, results))
  }

  private func run<T: Sendable>(
    _ regions: [String], progress: (@Sendable (Int) -> Void)?,
    _ body: @escaping @Sendable (EC2Client) async -> T
  ) async -> [T] {
    var out = [T?](repeating: nil, count: regions.count)
    await withTaskGroup(of: (Int, T).self) { group in
      var next = 0
      var done = 0
      func launch() {
        let i = next
        let client = clientForRegion(regions[i])
        group.addTask { (i, await body(client)) }
        next += 1
      }
      while next < regions.count && next < maxConcurrent { launch() }
      while let (i, value) = await group.next() {
        out[i] = value
        done += 1
        progress?(done)
        if next < regions.count { launch() }
      }
    }
    return out.compactMap { $0 }
  }
}
