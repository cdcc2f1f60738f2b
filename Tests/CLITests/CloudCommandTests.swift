import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The cloud commands end to end against moto_server and the aws cli (keyhold-sync(1), keyhold-audit(1)).
@Suite(.serialized, .enabled(if: MotoServer.isInstalled && ChildProcess.findExecutable("aws") != nil))
struct CloudCommandTests {
  /// The environment a user of the aws cli would have, pointed at moto, with HOME inside the sandbox.
  static func env(_ moto: MotoServer, _ s: VaultSandbox, secret: String = "secret", id: String = "AKIDCLITEST")
    -> [String: String]
  {
    [
      "AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_ENDPOINT_URL": moto.url,
      "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "HOME": s.dir.path, "AWS_PAGER": "",
    ]
  }

  /// `--timeout` for every command that asks moto: moto builds a region's backend on its first request to it, and
  /// on a loaded machine (and `sync --all-regions` asks every region at once) that can outlast the 20 s default.
  /// A timeout only costs time when the test fails anyway.
  static let patience = ["--timeout", "60"]

  /// Runs a command that takes no passphrase: `keyhold ARGS --vault V`, with `patience` unless ARGS set a timeout.
  static func keyhold(_ s: VaultSandbox, _ args: [String], env: [String: String]) throws -> CLIHarness.Result {
    try CLIHarness.run(
      args + (args.contains("--timeout") ? [] : patience) + ["--vault", s.vault], environment: env)
  }

  /// Runs the aws cli and returns its standard output.
  @discardableResult
  static func aws(_ args: [String], env: [String: String]) throws -> String {
    let r = try CLIHarness.run(
      ["--output", "json"] + args, environment: env,
      executable: URL(fileURLWithPath: ChildProcess.findExecutable("aws")!))
    #expect(r.status == 0, "aws \(args.joined(separator: " ")): \(r.stderr)")
    return r.stdout
  }

  /// The `entries` of `keyhold audit --json`, keyed by local key (or key pair name for cloud-only ones).
  static func states(_ r: CLIHarness.Result) throws -> [String: [String: Any]] {
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    var out: [String: [String: Any]] = [:]
    for e in doc["entries"] as? [[String: Any]] ?? [] {
      out[(e["local_key"] as? String) ?? "cloud:" + (e["key_name"] as? String ?? "")] = e
    }
    return out
  }

  @Test func auditFindsEveryStateAndPruneSparesKeysInUse() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = Self.env(moto, s)

    // Made by keyhold create, in two regions.
    var r = try s.run(["create", "made-east", "--region", "us-east-1"] + Self.patience, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    r = try s.run(
      ["create", "made-west", "--type", "ed25519", "--region", "eu-west-1"] + Self.patience, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    // Made by the aws cli and piped into keyhold import.
    let piped = try Self.aws(["ec2", "create-key-pair", "--key-name", "piped", "--region", "eu-west-1"], env: env)
    r = try s.run(["import", "--region", "eu-west-1"], stdin: Data(piped.utf8), environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    // Made locally and uploaded with ImportKeyPair.
    let key = try s.keygen("uploaded", type: "ed25519")
    #expect(try s.run(["import", key, "--name", "uploaded"]).status == 0)
    r = try s.run(["upload", "uploaded", "--region", "us-east-1"] + Self.patience, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    // Will be orphaned while an instance still uses it.
    #expect(try s.run(["create", "in-use", "--region", "us-east-1"] + Self.patience, environment: env).status == 0)
    // Made in the cloud and never imported.
    try Self.aws(["ec2", "create-key-pair", "--key-name", "stray"], env: env)

    r = try Self.keyhold(s, ["sync", "--region", "us-east-1", "--region", "eu-west-1"], env: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("5 in-sync, 1 cloud-only"))

    // Drift: deleted, deleted and re-made under the same name, deleted while an instance uses it.
    try Self.aws(["ec2", "delete-key-pair", "--key-name", "made-east"], env: env)
    try Self.aws(["ec2", "delete-key-pair", "--key-name", "made-west", "--region", "eu-west-1"], env: env)
    try Self.aws(["ec2", "create-key-pair", "--key-name", "made-west", "--region", "eu-west-1"], env: env)
    let images = try Self.aws(["ec2", "describe-images", "--owners", "amazon", "--max-items", "1"], env: env)
    let ami = try #require(images.split(separator: "\"").first { $0.hasPrefix("ami-") })
    try Self.aws(["ec2", "run-instances", "--image-id", String(ami), "--count", "1", "--key-name", "in-use"], env: env)
    try Self.aws(["ec2", "delete-key-pair", "--key-name", "in-use"], env: env)

    r = try Self.keyhold(s, ["audit", "--refresh", "--json"], env: env)
    #expect(r.status == 1, "\(r.stderr)")
    var states = try Self.states(r)
    #expect(states["made-east"]?["state"] as? String == "orphaned")
    #expect(states["made-east"]?["instances_in_use"] as? Int == 0)
    #expect(states["made-west"]?["state"] as? String == "replaced")
    #expect(states["in-use"]?["state"] as? String == "orphaned")
    #expect(states["in-use"]?["instances_in_use"] as? Int == 1)
    #expect(states["cloud:stray"]?["state"] as? String == "cloud-only")
    #expect(states["piped"]?["state"] as? String == "in-sync")
    #expect(states["uploaded"]?["state"] as? String == "in-sync")
    #expect(states["cloud:made-west"] == nil)  // the replacement is reported once, as replaced

    let table = try Self.keyhold(s, ["audit"], env: env)
    #expect(table.status == 1)
    #expect(table.stdout.contains("in use by 1 instance"))

    r = try s.run(["prune", "--orphaned", "--yes"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("retired made-east (restorable until "), "\(r.stdout)")
    #expect(r.stderr.contains("kept in-use: 1 instance was launched with in-use in us-east-1"))

    states = try Self.states(try Self.keyhold(s, ["audit", "--json"], env: env))
    #expect(states["made-east"] == nil)  // the last report forgets pruned keys
    #expect(states["in-use"]?["state"] as? String == "orphaned")
    r = try Self.keyhold(s, ["audit", "--refresh", "--json"], env: env)
    states = try Self.states(r)
    #expect(states["made-east"] == nil)
    #expect(states["in-use"]?["state"] as? String == "orphaned")
    #expect(
      try s.listedKeys().compactMap { $0["name"] as? String }.sorted() == [
        "in-use", "made-west", "piped", "uploaded",
      ])
  }

  @Test func deleteCreateRollbackAndDuplicates() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = Self.env(moto, s)
    func cloudNames() throws -> [String] {
      let out = try Self.aws(["ec2", "describe-key-pairs"], env: env)
      let doc = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [[String: Any]]]
      return (doc?["KeyPairs"] ?? []).compactMap { $0["KeyName"] as? String }.sorted()
    }

    // A wrong passphrase: the vault refuses the key, so the new key pair is deleted again.
    var r = try s.run(["create", "lost"] + Self.patience, passLines: ["wrong"], environment: env)
    #expect(r.status == 1)
    #expect(r.stderr.contains("deleted again"))
    #expect(try cloudNames().isEmpty)

    #expect(try s.run(["create", "a"] + Self.patience, environment: env).status == 0)
    #expect(try s.run(["create", "b"] + Self.patience, environment: env).status == 0)
    r = try s.run(["create", "a2", "--key-name", "a"] + Self.patience, environment: env)
    #expect(r.status == 1)
    #expect(r.stderr.contains("InvalidKeyPair.Duplicate"))
    #expect(r.stderr.contains("keyhold: hint:"))

    // Delete the key pair and the key.
    r = try s.run(["delete", "a", "--yes"] + Self.patience, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "deleted key pair a in us-east-1\nretired a (restorable with keyhold restore a)\n")
    // Delete only the key pair; the key stays, without its binding.
    r = try s.run(["delete", "b", "--keep-local"] + Self.patience, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try cloudNames().isEmpty)
    let keys = try s.listedKeys()
    #expect(keys.compactMap { $0["name"] as? String } == ["b"])
    #expect((keys.first?["bindings"] as? [Any])?.isEmpty == true)
    // The key left in the vault can be uploaded again.
    r = try s.run(["upload", "b"] + Self.patience, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try cloudNames() == ["b"])
    r = try Self.keyhold(s, ["audit", "--refresh"], env: env)
    #expect(r.status == 0, "\(r.stdout)")
    #expect(r.stdout.contains("in-sync"))
    // Every region DescribeRegions lists, listed concurrently.
    r = try Self.keyhold(s, ["sync", "--all-regions"], env: env)
    #expect(r.status == 0, "\(r.stderr)")
    let regions = r.stdout.split(separator: "(").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
    #expect(regions > 10, "\(r.stdout)")
  }

  /// With `INITIAL_NO_AUTH_ACTION_COUNT=3` moto lets the IAM setup through and then checks every signature.
  @Test func wrongSecretKeyIsAnErrorAndLeavesTheVaultAlone() throws {
    let moto = try MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let boot = Self.env(moto, s, id: "AKIDBOOT")
    try Self.aws(["iam", "create-user", "--user-name", "auditor"], env: boot)
    let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
    try Self.aws(
      ["iam", "put-user-policy", "--user-name", "auditor", "--policy-name", "all", "--policy-document", policy],
      env: boot)
    let keyJSON = try Self.aws(["iam", "create-access-key", "--user-name", "auditor"], env: boot)
    let doc = try JSONSerialization.jsonObject(with: Data(keyJSON.utf8)) as? [String: [String: Any]]
    let id = try #require(doc?["AccessKey"]?["AccessKeyId"] as? String)
    let secret = try #require(doc?["AccessKey"]?["SecretAccessKey"] as? String)

    let good = Self.env(moto, s, secret: secret, id: id)
    #expect(try s.run(["create", "k"] + Self.patience, environment: good).status == 0)
    #expect(try Self.keyhold(s, ["sync"], env: good).status == 0)
    let before = try Data(contentsOf: URL(fileURLWithPath: s.vault))

    let r = try Self.keyhold(s, ["audit", "--refresh"], env: Self.env(moto, s, secret: secret + "x", id: id))
    #expect(r.status == 2)
    #expect(r.stdout.isEmpty)
    #expect(
      r.stderr.contains(
        "keyhold: error: cannot learn which account the credentials belong to: authentication failed (AuthFailure)"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: s.vault)) == before)
  }

  @Test func unreachableEndpointIsAnErrorWithinTheTimeout() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    // Bound but not listening: connections are refused, and no parallel test can start a server on the port.
    let (closedFD, port) = try LoopbackListener.refusingPort()
    defer { close(closedFD) }
    let env = [
      "AWS_ACCESS_KEY_ID": "AKIDX", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1", "HOME": s.dir.path,
    ]
    let before = try Data(contentsOf: URL(fileURLWithPath: s.vault))
    var r = try Self.keyhold(
      s, ["audit", "--refresh", "--endpoint", "http://127.0.0.1:\(port)", "--timeout", "60"], env: env)
    #expect(r.status == 2)
    #expect(r.stderr.contains("network error"))
    // A peer that accepts and never answers: the timeout, not a hang. The short timeout is what is tested; load
    // can only make it fire later, never sooner.
    let (fd, silent) = try LoopbackListener.open(backlog: 4)
    defer { close(fd) }
    r = try Self.keyhold(s, ["sync", "--endpoint", "http://127.0.0.1:\(silent)", "--timeout", "1"], env: env)
    #expect(r.status == 2)
    #expect(r.stderr.contains("timeout: no answer within 1 s"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: s.vault)) == before)
  }
}
