import Audit
import Cloud
import Foundation
import KeyholdCore
import KeyholdCrypto
import KeyholdSystem
import SSHKeys
import TestSupport
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// The cloud benchmark (`keyhold-bench cloud`).
///
/// (a) moto_server with 1,000 key pairs in each of 4 regions: keyhold's sync + audit pipeline (concurrent
///     DescribeKeyPairs, reconcile, render) against the aws cli running `ec2 describe-key-pairs` over the same
///     regions one after another. Target: at most half the aws cli's time.
/// (b) a loopback replay endpoint serving recorded 5,000-item DescribeKeyPairs answers for 10 regions: sync + audit
///     in at most 2 s wall.
enum CloudBench {
  static func run() throws {
    if ProcessInfo.processInfo.environment["CLOUDBENCH_TRACE"] != nil { try parseOnly() }
    if ProcessInfo.processInfo.environment["CLOUDBENCH_RECONCILE_ONLY"] != nil { return reconcileOnly() }
    try replay()
    try moto()
  }

  // MARK: - (b) replay

  /// The account the benchmarks' credentials belong to (injected in process; the replay endpoint's STS and moto
  /// say the same to the CLI).
  static let accountID = "123456789012"

  static func replay() throws {
    let regions = (0..<10).map { "bench-region-\($0)" }
    let perRegion = 5_000
    let dir = TemporaryTree.make("keyhold-replay-bench")
    defer { TemporaryTree.remove(dir) }
    // The bindings name the endpoint, so the server comes first; its answers name the vault's keys, so they are
    // filled in once the vault exists.
    let bodies = ReplayBodies()
    let server = try CloudReplayServer.start(bodies: bodies)
    defer { server.stop() }
    let url = "http://127.0.0.1:\(server.port)/"
    let context = try cloudContext(url: url, regions: regions)
    // 5,000 vault keys, each bound in every region under its own name; the listing of every tenth region drops 50
    // of them (orphaned) and adds 50 unknown ones (cloud-only).
    let (store, entries) = try makeVault(
      path: dir + "/vault", endpointIdentity: context.endpointIdentity, regions: regions, count: perRegion,
      namePrefix: "bench-key-")
    let fingerprints = entries.map { $0.fingerprint("md5-ssh") ?? "" }
    let lines = try entries.map { try PublicKey(blob: $0.publicKeyBlob).openSSHLine(comment: $0.name) }
    var recorded: [String: [UInt8]] = [:]
    for (r, region) in regions.enumerated() {
      recorded[region] = describeBody(
        region: r, count: perRegion, fingerprint: { fingerprints[$0] }, publicKey: { lines[$0] })
    }
    bodies.set(recorded)
    let bytes = recorded.values.reduce(0) { $0 + $1.count }
    print("cloud (b): replay endpoint, \(regions.count) regions x \(perRegion) key pairs (\(bytes / 1_000_000) MB)")
    _ = try syncAndRender(context: context, store: store)  // warm-up
    var best = Double.infinity
    var summary = ""
    for _ in 0..<3 {
      let (t, report) = try timed { try syncAndRender(context: context, store: store) }
      best = min(best, t)
      summary = report.filtered(to: []).summaryLine
    }
    print("  keyhold sync + audit (in process): \(ms(best)) ms wall (target <= 2000 ms) \(best <= 2 ? "PASS" : "FAIL")")
    print("  \(summary)")
    let keyholdPath = (CommandLine.arguments[0] as NSString).deletingLastPathComponent + "/keyhold"
    if access(keyholdPath, X_OK) == 0 {
      try replayCLI(keyhold: keyholdPath, vault: store.path, url: url, regions: regions, perRegion: perRegion)
    }
  }

  /// The credentials every benchmark signs with.
  static let credentials = AWSCredentials(accessKeyID: "AKIDBENCH", secretAccessKey: "bench-secret")

  /// The cloud as `keyhold sync --endpoint URL --region R1 --region R2 ...` resolves it.
  static func cloudContext(url: String, regions: [String]) throws -> CloudContext {
    let target = CloudTarget(
      credentials: credentials, endpoint: try EC2Endpoint(url: url, region: regions[0]), regions: regions,
      usesAWSPublicEndpoints: false, source: "bench")
    return CloudContext(
      target: target, defaultRegion: regions[0], explicitRegions: regions, timeout: 30,
      transport: URLSessionTransport())
  }

  /// What `keyhold sync` runs (``Sync``, without the pauses before re-listing pending key pairs), then the audit's
  /// table and JSON of its report.
  static func syncAndRender(context: CloudContext, store: VaultStore) throws -> AuditReport {
    let trace = ProcessInfo.processInfo.environment["CLOUDBENCH_TRACE"] != nil
    let sync = Sync(
      context: context, store: store, clock: .system,
      lookUpAccount: { _ in CloudAccount(id: accountID, source: .sts) })
    let t0 = DispatchTime.now().uptimeNanoseconds
    let outcome = try blocking { try await sync.run(.init(pendingRetryDelays: [])) }
    let t1 = DispatchTime.now().uptimeNanoseconds
    _ = outcome.report.filtered(to: []).renderText(now: Int64(time(nil)))
    let t2 = DispatchTime.now().uptimeNanoseconds
    _ = outcome.report.filtered(to: []).renderJSON()
    let t3 = DispatchTime.now().uptimeNanoseconds
    if trace {
      print(
        "    sync \((t1 - t0) / 1_000_000) ms; text \((t2 - t1) / 1_000_000) ms; json \((t3 - t2) / 1_000_000) ms"
      )
    }
    return outcome.report
  }

  static func scope(_ region: String, endpoint: String) -> CloudScope {
    CloudScope(endpoint: endpoint, account: accountID, region: region)
  }

  /// A made-up fingerprint per index (the profiling helpers need no real keys).
  static func fingerprint(_ i: Int) -> String {
    var x = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678
    var bytes: [UInt8] = []
    for _ in 0..<16 {
      x ^= x >> 29
      x = x &* 0xBF58_476D_1CE4_E5B9
      bytes.append(UInt8(truncatingIfNeeded: x >> 32))
    }
    return Hex.encode(bytes, separator: ":")
  }

  static let placeholderPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchBenchBenchBenchBenchBenchBenchBenchBen"

  /// A DescribeKeyPairs answer in the AWS shape, with public keys, as `IncludePublicKey=true` returns it. In every
  /// tenth region the first 50 key pairs are replaced by unknown ones.
  static func describeBody(
    region r: Int, count: Int, fingerprint: (Int) -> String = fingerprint,
    publicKey: (Int) -> String = { _ in placeholderPublicKey }
  ) -> [UInt8] {
    var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    s += "<DescribeKeyPairsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
    s += "    <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n    <keySet>\n"
    for i in 0..<count {
      let dropped = r % 10 == 0 && i < 50
      let name = dropped ? "unknown-\(i)" : "bench-key-\(i)"
      let fp =
        dropped ? "00:11:22:33:\(Hex.encode([UInt8(i % 256)])):55:66:77:88:99:aa:bb:cc:dd:ee:ff" : fingerprint(i)
      let pub = dropped ? "\(placeholderPublicKey) \(name)" : publicKey(i)
      s += """
                <item>
                    <keyPairId>key-\(String(format: "%017x", r * 100_000 + i))</keyPairId>
                    <keyFingerprint>\(fp)</keyFingerprint>
                    <keyName>\(name)</keyName>
                    <keyType>ed25519</keyType>
                    <tagSet/>
                    <createTime>2026-11-02T09:15:00.000Z</createTime>
                    <publicKey>\(pub)</publicKey>
                </item>

        """
    }
    s += "    </keySet>\n</DescribeKeyPairsResponse>\n"
    return Array(s.utf8)
  }

  // MARK: - (a) moto vs aws cli

  static func moto() throws {
    guard let motoPath = ChildProcess.findExecutable("moto_server"), let awsPath = ChildProcess.findExecutable("aws")
    else {
      print("cloud (a): skipped (moto_server or aws not on PATH)")
      return
    }
    let regions = ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"]
    let perRegion = 1_000
    let port = try LoopbackListener.unusedPort()
    let moto = Process()
    moto.executableURL = URL(fileURLWithPath: motoPath)
    moto.arguments = ["-H", "127.0.0.1", "-p", String(port)]
    moto.standardOutput = FileHandle.nullDevice
    moto.standardError = FileHandle.nullDevice
    try moto.run()
    defer {
      moto.terminate()
      moto.waitUntilExit()
    }
    let url = "http://127.0.0.1:\(port)"
    let context = try cloudContext(url: url, regions: regions)
    // Wait for moto to answer.
    let deadline = Date().addingTimeInterval(30)
    while true {
      let probe = EC2Client(
        endpoint: context.target.endpoint, credentials: credentials, transport: context.transport, timeout: 2)
      if (try? blocking { try await probe.describeRegions() }) != nil { break }
      guard Date() < deadline else { throw BenchError("moto_server did not start") }
      usleep(100_000)
    }
    print("cloud (a): moto_server, \(regions.count) regions x \(perRegion) key pairs; importing...")
    let dir = TemporaryTree.make("keyhold-cloud-bench")
    defer { TemporaryTree.remove(dir) }
    var store = VaultStore(path: dir + "/vault")
    let setup = try seconds {
      store = try makeBoundVault(dir: dir, context: context, regions: regions, count: perRegion)
    }
    print("  setup (vault of \(perRegion) keys, \(perRegion * regions.count) ImportKeyPair calls): \(ms(setup)) ms")
    // The real commands when the keyhold binary sits beside this one (`make bench` builds both); else the code
    // they run, in process.
    let keyholdPath = (CommandLine.arguments[0] as NSString).deletingLastPathComponent + "/keyhold"
    var keyholdBest = Double.infinity
    var summary = ""
    var what = "keyhold sync + audit (in process)"
    if access(keyholdPath, X_OK) == 0 {
      what = "keyhold sync + keyhold audit (two processes)"
      for _ in 0..<2 {
        let (t, last) = try timeCLI(keyhold: keyholdPath, vault: store.path, url: url, regions: regions)
        keyholdBest = min(keyholdBest, t)
        summary = last
      }
    } else {
      for _ in 0..<2 {
        let (t, report) = try timed { try syncAndRender(context: context, store: store) }
        keyholdBest = min(keyholdBest, t)
        summary = report.filtered(to: []).summaryLine
      }
    }
    var env = ProcessInfo.processInfo.environment
    env["AWS_ACCESS_KEY_ID"] = "AKIDBENCH"
    env["AWS_SECRET_ACCESS_KEY"] = "bench-secret"
    env["AWS_PAGER"] = ""
    let awsTime = try seconds {
      for region in regions {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: awsPath)
        p.arguments = ["--endpoint-url", url, "--region", region, "--output", "json", "ec2", "describe-key-pairs"]
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("aws cli failed in \(region)") }
      }
    }
    print("  \(what): \(ms(keyholdBest)) ms wall")
    print("  aws cli describe-key-pairs x\(regions.count), sequential: \(ms(awsTime)) ms wall")
    let ratio = keyholdBest / awsTime
    print("  ratio: \(String(format: "%.2f", ratio)) (target <= 0.50) \(ratio <= 0.5 ? "PASS" : "FAIL")")
    print("  \(summary)")
  }

  // MARK: - helpers

  static func timed<T>(_ body: () throws -> T) throws -> (Double, T) {
    let start = DispatchTime.now().uptimeNanoseconds
    let v = try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, v)
  }

  static func seconds(_ body: () throws -> Void) throws -> Double {
    try timed { () throws -> Int in
      try body()
      return 0
    }.0
  }

  static func ms(_ seconds: Double) -> String { String(Int((seconds * 1000).rounded())) }
}

extension CloudBench {
  /// Parse time alone for one recorded 5,000-item answer (printed with CLOUDBENCH_TRACE set).
  static func parseOnly() throws {
    let body = describeBody(region: 1, count: 5_000)
    let (t, root) = try timed { try XMLScanner.parse(body) }
    print("    parse 5,000 items: \(ms(t)) ms (\(root.items(of: "keySet").count) items)")
  }
}

extension CloudBench {
  /// Reconcile + render alone over 10 x 5,000 in-memory listings (for profiling).
  static func reconcileOnly() {
    let regions = (0..<10).map { "bench-region-\($0)" }
    var keys: [LocalKey] = []
    for i in 0..<5_000 {
      keys.append(
        LocalKey(
          name: "bench-key-\(i)", fingerprints: ["md5-spki": fingerprint(i)],
          bindings: regions.map { KeyBinding(scope: scope($0, endpoint: "replay"), keyName: "bench-key-\(i)") }))
    }
    let listings = regions.map { r in
      CloudListing(
        scope: scope(r, endpoint: "replay"),
        result: .success(
          (0..<5_000).map {
            ListedKeyPair(keyName: "bench-key-\($0)", keyFingerprint: fingerprint($0), keyPairId: "key-\($0)")
          }))
    }
    for _ in 0..<5 {
      let t0 = DispatchTime.now().uptimeNanoseconds
      let r = Reconciler.reconcile(keys, listings, options: .init(now: 0))
      let t1 = DispatchTime.now().uptimeNanoseconds
      _ = r.filtered(to: []).renderJSON()
      let t2 = DispatchTime.now().uptimeNanoseconds
      print("    reconcile \((t1 - t0) / 1_000_000) ms, json \((t2 - t1) / 1_000_000) ms")
    }
  }
}
