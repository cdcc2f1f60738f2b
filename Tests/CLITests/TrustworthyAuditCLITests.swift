import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The four ways the audit used to destroy or lose a live key, end to end with moto_server and the aws cli, and the
/// README tour as written. The five-minute grace is passed with `faketime`, not by sleeping.
@Suite(.serialized, .enabled(if: MotoServer.isInstalled && ChildProcess.findExecutable("aws") != nil))
struct TrustworthyAuditCLITests {
  typealias C = CloudCommandTests

  /// `keyhold ARGS --vault V` under a clock shifted by `shift` (`+10m`), through faketime when it is installed.
  static func later(_ shift: String, _ s: VaultSandbox, _ args: [String], env: [String: String]) throws
    -> CLIHarness.Result
  {
    guard let faketime = ChildProcess.findExecutable("faketime") else { return try C.keyhold(s, args, env: env) }
    return try CLIHarness.run(
      ["-f", shift, CLIHarness.binary.path] + args + ["--vault", s.vault], environment: env,
      executable: URL(fileURLWithPath: faketime))
  }

  static func entry(_ r: CLIHarness.Result, _ name: String) throws -> [String: Any] {
    try #require(try C.states(r)[name], "no audit entry for \(name): \(r.stdout)")
  }

  @Test func aKeyPairMadeInAnotherRegionAndPipedInIsFoundThereAndNeverPruned() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = C.env(moto, s)  // us-east-1 is the configured region
    let out = try C.aws(["ec2", "create-key-pair", "--key-name", "K", "--region", "eu-west-1"], env: env)
    var r = try s.run(["import"], stdin: Data(out.utf8), environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect((r.stdout + r.stderr).contains("unknown"), "the import says the region is unknown: \(r.stdout)")

    r = try Self.later("+10m", s, ["sync"], env: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("found K: eu-west-1/K"), "\(r.stdout)")
    r = try Self.later("+10m", s, ["audit", "--json"], env: env)
    let e = try Self.entry(r, "K")
    #expect(e["state"] as? String == "in-sync")
    #expect(e["region"] as? String == "eu-west-1")
    #expect(e["account"] as? String == "123456789012")
    r = try s.run(["prune", "--orphaned", "--yes"], environment: env)
    #expect(r.stdout == "nothing to prune\n", "\(r.stdout)\(r.stderr)")
    #expect(try s.listedKeys().compactMap { $0["name"] as? String } == ["K"])
  }

  @Test func aKeyUploadedByAnotherToolIsBoundAndItsDeletionReportedWithItsInstances() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = C.env(moto, s)
    let key = try s.keygen("up", type: "ed25519")
    #expect(try s.run(["import", key, "--name", "up"]).status == 0)
    try C.aws(
      ["ec2", "import-key-pair", "--key-name", "theirs", "--public-key-material", "fileb://\(key).pub"], env: env)

    var r = try C.keyhold(s, ["sync"], env: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("bound up: us-east-1/theirs"), "\(r.stdout)")

    let images = try C.aws(["ec2", "describe-images", "--owners", "amazon", "--max-items", "1"], env: env)
    let ami = try #require(images.split(separator: "\"").first { $0.hasPrefix("ami-") })
    try C.aws(["ec2", "run-instances", "--image-id", String(ami), "--count", "1", "--key-name", "theirs"], env: env)
    try C.aws(["ec2", "delete-key-pair", "--key-name", "theirs"], env: env)

    r = try C.keyhold(s, ["audit", "--refresh", "--json"], env: env)
    #expect(r.status == 1, "\(r.stderr)")
    let e = try Self.entry(r, "up")
    #expect(e["state"] as? String == "orphaned")
    #expect(e["key_name"] as? String == "theirs")
    #expect(e["instances_in_use"] as? Int == 1)
    r = try s.run(["prune", "--orphaned", "--yes"], environment: env)
    #expect(r.status == 0)
    #expect(r.stderr.contains("kept up: 1 instance was launched with theirs in us-east-1"), "\(r.stderr)")
    #expect(try s.listedKeys().compactMap { $0["name"] as? String } == ["up"])
  }

  @Test func rotatingTheAccessKeyKeepsEveryBindingAndStillReportsADeletion() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let first = C.env(moto, s, id: "AKIDFIRSTKEY")
    #expect(try s.run(["create", "rot"], environment: first).status == 0)
    #expect(try C.keyhold(s, ["sync"], env: first).status == 0)

    let second = C.env(moto, s, id: "AKIDSECONDKEY")
    var r = try C.keyhold(s, ["audit", "--refresh", "--json"], env: second)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    var e = try Self.entry(r, "rot")
    #expect(e["state"] as? String == "in-sync")
    #expect(e["discovered"] as? Bool == false)

    try C.aws(["ec2", "delete-key-pair", "--key-name", "rot"], env: second)
    r = try C.keyhold(s, ["audit", "--refresh", "--json"], env: C.env(moto, s, id: "AKIDTHIRDKEY"))
    #expect(r.status == 1)
    e = try Self.entry(r, "rot")
    #expect(e["state"] as? String == "orphaned")
  }

  @Test func deleteRefusesAKeyPairTheAuditCalledReplaced() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = C.env(moto, s)
    #expect(try s.run(["create", "rep"], environment: env).status == 0)
    try C.aws(["ec2", "delete-key-pair", "--key-name", "rep"], env: env)
    let other = try s.keygen("other", type: "ed25519")
    try C.aws(
      ["ec2", "import-key-pair", "--key-name", "rep", "--public-key-material", "fileb://\(other).pub"], env: env)
    var r = try C.keyhold(s, ["audit", "--refresh", "--json"], env: env)
    #expect(try Self.entry(r, "rep")["state"] as? String == "replaced")

    r = try s.run(["delete", "rep", "--keep-local"], environment: env)
    #expect(r.status == 1)
    #expect(r.stderr.contains("refusing to delete key pair rep in us-east-1"), "\(r.stderr)")
    #expect(r.stderr.contains("--delete-mismatched"))
    let listed = try C.aws(["ec2", "describe-key-pairs", "--key-names", "rep"], env: env)
    #expect(listed.contains("\"rep\""))
  }

  @Test func theReadmeTourWorksAsWritten() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = C.env(moto, s)
    // euca-add-keypair mykey | keyhold import   (the aws cli's output here)
    let out = try C.aws(["ec2", "create-key-pair", "--key-name", "mykey"], env: env)
    var r = try s.run(["import"], stdin: Data(out.utf8), environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    // keyhold import old.private --shred
    let old = try s.keygen("old.private", type: "ed25519")
    r = try s.run(["import", old, "--shred"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: old))
    // keyhold create web --type ed25519
    r = try s.run(["create", "web", "--type", "ed25519"], environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    // keyhold list
    r = try s.run(["list"], environment: env)
    #expect(r.status == 0 && r.stdout.contains("mykey") && r.stdout.contains("web"))
    // keyhold audit: never synced, so it asks the cloud itself.
    r = try C.keyhold(s, ["audit"], env: env)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("account 123456789012, as of "), "\(r.stdout)")
    #expect(r.stdout.contains("summary: 2 in-sync"), "\(r.stdout)")
    // keyhold prune --orphaned
    r = try s.run(["prune", "--orphaned"], environment: env)
    #expect(r.status == 0 && r.stdout == "nothing to prune\n", "\(r.stdout)\(r.stderr)")
    // keyhold fingerprint some.pem
    r = try CLIHarness.run(["fingerprint", old + ".pub"])
    #expect(r.status == 0 && r.stdout.contains("SHA256:"), "\(r.stdout)\(r.stderr)")
  }
}
