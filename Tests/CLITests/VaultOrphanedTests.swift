import Foundation
import TestSupport
import Testing

/// The status section end to end: `sync` records an orphaned key pair without the passphrase, `list` shows it, and
/// the agent's `--hide-orphaned` stops offering that key while the vault still unlocks.
@Suite(.serialized, .enabled(if: MotoServer.isInstalled && ChildProcess.findExecutable("aws") != nil))
struct VaultOrphanedTests {
  @Test func syncMarksADeletedKeyPairOrphanedAndTheAgentCanHideIt() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = CloudCommandTests.env(moto, s)
    let piped = try CloudCommandTests.aws(["ec2", "create-key-pair", "--key-name", "gone"], env: env)
    var r = try s.run(["import", "--region", "us-east-1"], stdin: Data(piped.utf8), environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    let local = try s.keygen("local", type: "ed25519")
    #expect(try s.run(["import", local]).status == 0)
    // No passphrase descriptor: sync must not need one. The first sync sees the key pair (so its later absence is
    // not taken for EC2's eventual consistency), the second finds it gone.
    r = try CloudCommandTests.keyhold(s, ["sync", "--region", "us-east-1"], env: env)
    #expect(r.status == 0, "\(r.stderr)")
    try CloudCommandTests.aws(["ec2", "delete-key-pair", "--key-name", "gone"], env: env)
    let before = try Data(contentsOf: URL(fileURLWithPath: s.vault))
    r = try CloudCommandTests.keyhold(s, ["sync", "--region", "us-east-1"], env: env)
    #expect(r.status != 2, "\(r.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: s.vault)) != before)
    let keys = try s.listedKeys()
    let gone = try #require(keys.first { $0["name"] as? String == "gone" })
    #expect(gone["orphaned"] as? Bool == true)
    #expect(keys.first { $0["name"] as? String == "local" }?["orphaned"] as? Bool == false)
    #expect(try s.run(["list"]).stdout.contains("[orphaned]"))

    let pub = s.dir.appendingPathComponent("gone.pub").path
    try s.run(["export", "gone", "--public"]).stdoutBytes.write(to: URL(fileURLWithPath: pub))
    // Sealed keys are listed only when the agent could prompt for the passphrase.
    let prompt = ["SSH_ASKPASS": "/bin/false", "DISPLAY": ":0"]
    let all = try AgentTestbed(flags: ["--vault", s.vault], environment: prompt)
    let hiding = try AgentTestbed(flags: ["--vault", s.vault, "--hide-orphaned"], environment: prompt)
    let goneFingerprint = try all.fingerprint(pub)
    let localFingerprint = try all.fingerprint(local + ".pub")
    #expect(Set(try all.listed()) == [goneFingerprint, localFingerprint])
    #expect(try hiding.listed() == [localFingerprint])
    // The status section is a cache: the vault still unlocks with every key in it.
    let opened = try hiding.run(
      CLIHarness.binary.path, ["unlock", "--passphrase-fd", "0"], stdin: VaultSandbox.passphrase + "\n")
    #expect(opened.status == 0, "\(opened.stderr)")
    #expect(try s.run(["export", "gone", "--yes"]).status == 0)
  }
}
