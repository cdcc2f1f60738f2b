import Foundation
import TestSupport
import Testing

/// `keyhold sync` against an eventually consistent EC2 (DESIGN.md §6): a key pair made moments ago may be missing
/// from DescribeKeyPairs for a while, so sync lists again before concluding, and calls it pending, not orphaned.
@Suite struct SyncPendingTests {
  /// The aws-cli JSON of a key pair EC2 just made, as `aws ec2 create-key-pair` prints it.
  static let wrapper = "wrappers/aws-json-ed25519.txt"

  /// A DescribeKeyPairsResponse listing the given key pairs (name, fingerprint, id).
  static func describeKeyPairs(_ pairs: [(String, String, String)]) -> String {
    let items = pairs.map { name, fingerprint, id in
      "<item><keyPairId>\(id)</keyPairId><keyFingerprint>\(fingerprint)</keyFingerprint>"
        + "<keyName>\(name)</keyName><keyType>ed25519</keyType><tagSet/></item>"
    }
    return """
      <?xml version="1.0" encoding="UTF-8"?>
      <DescribeKeyPairsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
      <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId><keySet>\(items.joined())</keySet>
      </DescribeKeyPairsResponse>
      """
  }

  /// Answers DescribeInstances with no instances, and DescribeKeyPairs with `listed(index)` (index 0 first).
  static func server(listed: @escaping @Sendable (Int) -> [(String, String, String)]) throws -> EC2StubServer {
    try EC2StubServer { action, index in
      if action == "DescribeKeyPairs" { return describeKeyPairs(listed(index)) }
      return "<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>"
    }
  }

  /// Credentials for the stub, HOME inside the sandbox, and short pauses between re-listings.
  static func env(_ s: VaultSandbox) -> [String: String] {
    [
      "AWS_ACCESS_KEY_ID": "AKIDSYNCTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
      "AWS_DEFAULT_REGION": "us-east-1", "AWS_PROFILE": "", "HOME": s.dir.path,
      "KEYHOLD_SYNC_RETRY_DELAYS": "0.05,0.05,0.05",
    ]
  }

  /// Imports the wrapper fixture (a key pair made just now, bound in us-east-1) and returns its name, cloud
  /// fingerprint and key pair id.
  static func importFresh(_ s: VaultSandbox) throws -> (String, String, String) {
    let expect = try VaultSandbox.expectations(wrapper)
    let r = try s.run(["import", "--region", "us-east-1"], stdin: try VaultSandbox.fixture(wrapper))
    #expect(r.status == 0, "\(r.stderr)")
    return (
      try #require(expect["key-name"]), try #require(expect["cloud-fingerprint"]), try #require(expect["key-pair-id"])
    )
  }

  /// Runs `keyhold sync` against the stub.
  static func sync(_ s: VaultSandbox, _ server: EC2StubServer) throws -> CLIHarness.Result {
    try CLIHarness.run(
      ["sync", "--endpoint", server.url, "--region", "us-east-1", "--vault", s.vault], environment: env(s))
  }

  /// The state the stored report gives the key, from `keyhold audit --json`.
  static func storedState(_ s: VaultSandbox, key: String) throws -> (state: String?, status: Int32) {
    let r = try CLIHarness.run(["audit", "--json", "--vault", s.vault], environment: env(s))
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any], "\(r.stderr)")
    let entries = doc["entries"] as? [[String: Any]] ?? []
    let entry = entries.first { $0["local_key"] as? String == key }
    return (entry?["state"] as? String, r.status)
  }

  @Test func keyPairListedOnlyOnRetryEndsInSync() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let pair = try Self.importFresh(s)
    // Not visible on the first listing, visible from the second on.
    let server = try Self.server { $0 == 0 ? [] : [pair] }
    defer { server.stop() }

    let r = try Self.sync(s, server)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "summary: 1 in-sync (1 region)\n")
    #expect(server.count("DescribeKeyPairs") == 2)
    let stored = try Self.storedState(s, key: pair.0)
    #expect(stored.state == "in-sync")
    #expect(stored.status == 0)
  }

  @Test func keyPairNeverListedWithinGraceIsPendingNotOrphaned() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let pair = try Self.importFresh(s)
    // Another key pair is listed, so the region answered; the new one never shows up.
    let other = ("someone-else", "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89", "key-0000000000000000a")
    let server = try Self.server { _ in [other] }
    defer { server.stop() }

    let r = try Self.sync(s, server)
    // Sync exits 0 whenever every region was listed and the result stored (keyhold-sync(1), EXIT STATUS).
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "summary: 1 cloud-only, 1 pending (1 region)\n")
    // The first listing and one more after each of the three pauses.
    #expect(server.count("DescribeKeyPairs") == 4)
    let stored = try Self.storedState(s, key: pair.0)
    #expect(stored.state == "pending")
    // The cloud-only key pair is drift; pending alone is not (keyhold-audit(1), EXIT STATUS).
    #expect(stored.status == 1)
  }
}
