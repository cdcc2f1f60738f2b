import Audit
import Cloud
import Foundation
import KeyholdCore
import KeyholdCrypto
import SSHKeys
import Synchronization
import TestSupport
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// A passphrase in guarded memory.
func secret(_ s: String) -> SecureBytes { SecureBytes(copying: Array(s.utf8)) }

/// A clock the test moves by hand; pauses advance it instead of sleeping.
final class TestClock: Sendable {
  private let t: Mutex<Int64>
  init(_ start: Int64) { t = Mutex(start) }
  var now: Int64 { t.withLock { $0 } }
  func advance(_ seconds: Int64) { t.withLock { $0 += seconds } }
  var clock: UseCaseClock {
    UseCaseClock(now: { [self] in now }, pause: { [self] s in advance(Int64(s.rounded(.up))) })
  }
}

/// What the loopback cloud holds: key pairs per region, instances per key name, and switches for failures.
final class FakeCloud: Sendable {
  struct Pair: Sendable {
    var name: String
    var fingerprint: String
    var id: String
  }
  struct State: Sendable {
    var regions = ["eu-west-1", "us-east-1"]
    var pairs: [String: [Pair]] = [:]
    var instances: [String: Int] = [:]
    var failingRegions: Set<String> = []
    var instancesDenied = false
    /// DescribeKeyPairs answers this many times with no key pairs first (EC2's eventual consistency).
    var emptyListings = 0
    /// Instances DescribeInstances lists in each region, besides the counted ones above.
    var listed: [String: [EC2StubInstance]] = [:]
    /// Console text per instance id; an id without one gets an answer with no `output`.
    var consoles: [String: String] = [:]
    /// Regions whose DescribeInstances fails (DescribeKeyPairs still answers).
    var failingInstanceRegions: Set<String> = []
  }
  /// The state, shared with the server's handler thread.
  final class Shared: Sendable {
    let m = Mutex(State())
  }
  let shared: Shared
  let server: EC2StubServer

  init() throws {
    let shared = Shared()
    self.shared = shared
    server = try EC2StubServer { request in FakeCloud.answer(request, shared.m.withLock { $0 }) }
  }

  func set(_ body: (inout State) -> Void) { shared.m.withLock { body(&$0) } }

  static func answer(_ r: EC2StubRequest, _ s: State) -> (status: Int, body: [UInt8]) {
    func ok(_ xml: String) -> (Int, [UInt8]) { (200, Array(xml.utf8)) }
    if s.failingRegions.contains(r.region) {
      return (
        503,
        Array(
          "<Response><Errors><Error><Code>Unavailable</Code><Message>region down</Message></Error></Errors></Response>"
            .utf8)
      )
    }
    switch r.action {
    case "DescribeRegions":
      return ok(
        "<DescribeRegionsResponse><regionInfo>"
          + s.regions.map { "<item><regionName>\($0)</regionName></item>" }.joined()
          + "</regionInfo></DescribeRegionsResponse>")
    case "DescribeKeyPairs":
      let items = (r.index < s.emptyListings ? [] : s.pairs[r.region] ?? []).map {
        "<item><keyPairId>\($0.id)</keyPairId><keyName>\($0.name)</keyName><keyFingerprint>\($0.fingerprint)</keyFingerprint></item>"
      }
      return ok("<DescribeKeyPairsResponse><keySet>\(items.joined())</keySet></DescribeKeyPairsResponse>")
    case "DescribeInstances":
      if s.instancesDenied {
        return (
          403,
          Array(
            "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied</Message></Error></Errors></Response>"
              .utf8)
        )
      }
      if s.failingInstanceRegions.contains(r.region) {
        return (
          503,
          Array(
            "<Response><Errors><Error><Code>Unavailable</Code><Message>instances down</Message></Error></Errors></Response>"
              .utf8)
        )
      }
      if r.parameters["Filter.1.Name"] == nil {
        return ok(EC2StubServer.describeInstancesXML(s.listed[r.region] ?? []))
      }
      var items = ""
      for (name, n) in s.instances where n > 0 {
        for i in 0..<n {
          items +=
            "<item><instanceId>i-\(name)\(i)</instanceId><keyName>\(name)</keyName><instanceState><name>running</name></instanceState></item>"
        }
      }
      return ok(
        "<DescribeInstancesResponse><reservationSet><item><ownerId>123456789012</ownerId><instancesSet>\(items)"
          + "</instancesSet></item></reservationSet></DescribeInstancesResponse>")
    case "GetConsoleOutput":
      let id = r.parameters["InstanceId"] ?? ""
      return ok(EC2StubServer.consoleOutputXML(instanceID: id, console: s.consoles[id]))
    case "DeleteKeyPair":
      return ok("<DeleteKeyPairResponse><return>true</return></DeleteKeyPairResponse>")
    default:
      return (
        400,
        Array(
          "<Response><Errors><Error><Code>InvalidAction</Code><Message>no</Message></Error></Errors></Response>".utf8)
      )
    }
  }
}

/// A vault, a loopback cloud, a clock, and the use cases wired to them.
struct CoreWorld {
  let dir: String
  let store: VaultStore
  let cloud: FakeCloud
  let clock: TestClock
  let passphrase = secret("correct horse")
  var accessKey = "AKIDFIRST"
  var account: CloudAccount? = CloudAccount(id: "123456789012", source: .sts)

  init() throws {
    dir = TemporaryTree.make("keyhold-core-test")
    let clock = TestClock(1_800_000_000)
    self.clock = clock
    store = VaultStore(path: dir + "/vault", lockTimeout: 60, now: { clock.now })
    try store.create(passphrase: passphrase, kdf: .minimum)
    cloud = try FakeCloud()
  }

  var context: CloudContext {
    let target = CloudTarget(
      credentials: AWSCredentials(accessKeyID: accessKey, secretAccessKey: "secret"),
      endpoint: try! EC2Endpoint(url: cloud.server.url + "/", region: "us-east-1"), regions: ["us-east-1"],
      usesAWSPublicEndpoints: false, source: "test")
    return CloudContext(
      target: target, defaultRegion: "us-east-1", timeout: 60, transport: URLSessionTransport())
  }

  var sync: Sync {
    let account = self.account
    return Sync(context: context, store: store, clock: clock.clock, lookUpAccount: { _ in account })
  }

  var keyPairs: KeyPairs {
    let account = self.account
    return KeyPairs(context: context, store: store, clock: clock.clock, lookUpAccount: { _ in account })
  }

  /// Stores a new RSA key with the given bindings and returns its entry.
  @discardableResult
  func add(_ name: String, bindings: [VaultBinding] = []) throws -> VaultEntry {
    let key = try PrivateKey.generate(.rsa, bits: 2048, comment: name)
    return try store.add([VaultNewKey(name: name, privateKey: key, bindings: bindings)], passphrase: passphrase)[0]
  }

  func cleanup() {
    cloud.server.stop()
    TemporaryTree.remove(dir)
  }
}

extension VaultEntry {
  /// The fingerprint AWS shows for a key pair it created (SHA-1 of the PKCS#8 private key).
  var createdFingerprint: String { fingerprint("sha1-pkcs8") ?? "" }
}
