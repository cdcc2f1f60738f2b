import Foundation
import TestSupport
import Testing

/// The vault inside the agent: `keyhold unlock` / `keyhold lock`, `ssh-add -X` / `-x`, lazy unlock, timeouts.
@Suite struct AgentVaultTests {
  /// A vault holding one key (named "cloudkey"), an sshd that accepts only that key, and an agent serving the vault.
  final class Setup: @unchecked Sendable {
    let bed: AgentTestbed
    let sshd: TestSSHD
    let vault: String
    let passFile: String
    let key: String

    init(agentFlags: [String] = ["--no-lazy-unlock"], environment: [String: String] = [:]) throws {
      let scratch = try AgentTestbed(flags: ["--no-vault"])  // only for its folder and key helpers
      key = try scratch.makeKey("ed25519", name: "cloudkey")
      let dir = scratch.directory.path
      vault = dir + "/vault"
      passFile = dir + "/pass"
      try "vault-pass\n".write(toFile: passFile, atomically: true, encoding: .utf8)
      let bin = CLIHarness.binary.path
      let made = try scratch.run(
        "/bin/sh",
        [
          "-c",
          "\(bin) init --vault \(vault) --kdf interactive --passphrase-fd 3 3<\(passFile) && "
            + "\(bin) import --vault \(vault) --name cloudkey --passphrase-fd 3 \(key) 3<\(passFile)",
        ])
      #expect(made.status == 0, "\(made.stderr)")
      sshd = try TestSSHD(authorizedKeys: [key + ".pub"])
      bed = try AgentTestbed(flags: ["--vault", vault] + agentFlags, environment: environment)
      withExtendedLifetime(scratch) {}
      self.scratchHolder = scratch
    }
    private var scratchHolder: AgentTestbed?

    func keyhold(_ args: String) throws -> Spawn.Result {
      try bed.run("/bin/sh", ["-c", "\(CLIHarness.binary.path) \(args) 3<\(passFile)"])
    }

    func canLogIn() throws -> Bool { try sshd.ssh(bed, "true").status == 0 }
  }

  @Test func sshWorksAfterKeyholdUnlockAndFailsAfterKeyholdLock() throws {
    let s = try Setup()
    #expect(try s.bed.listed().isEmpty)
    #expect(try !s.canLogIn())
    let unlock = try s.keyhold("unlock --passphrase-fd 3")
    #expect(unlock.status == 0, "\(unlock.stderr)")
    #expect(try s.bed.sshAdd(["-l"]).stdout.contains("cloudkey"))
    #expect(try s.canLogIn())
    #expect(try s.keyhold("lock").status == 0)
    #expect(try !s.canLogIn())
    #expect(try s.bed.listed().isEmpty)
  }

  @Test func vaultLockKeepsKeysAddedWithSSHAdd() throws {
    let s = try Setup()
    let other = try s.bed.makeKey("ed25519", name: "mine")
    try s.bed.sshAdd([other])
    #expect(try s.keyhold("unlock --passphrase-fd 3").status == 0)
    #expect(try s.bed.listed().count == 2)
    #expect(try s.keyhold("lock").status == 0)
    #expect(try s.bed.listed() == [try s.bed.fingerprint(other + ".pub")])
  }

  @Test func wrongPassphraseLeavesTheVaultSealed() throws {
    let s = try Setup()
    let r = try s.bed.run("/bin/sh", ["-c", "echo nope | \(CLIHarness.binary.path) unlock --passphrase-fd 0"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("keyhold: error:"))
    #expect(try !s.canLogIn())
  }

  @Test func sshAddCapitalXOpensTheSealedVault() throws {
    let s = try Setup()
    let askpass = try s.bed.script("askpass", "echo vault-pass")
    let env = ["SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"]
    #expect(try s.bed.sshAdd(["-X"], environment: env).status == 0)
    #expect(try s.canLogIn())
  }

  @Test func sshAddLowerXLocksTheAgentAndSealsTheVault() throws {
    let s = try Setup()
    #expect(try s.keyhold("unlock --passphrase-fd 3").status == 0)
    let lockPass = try s.bed.script("lockpass", "echo lock-pass")
    let env = ["SSH_ASKPASS": lockPass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"]
    #expect(try s.bed.sshAdd(["-x"], environment: env).status == 0)
    #expect(try !s.canLogIn())
    // The vault is sealed too: unlocking the agent with the lock passphrase (not the vault's) gives no vault keys.
    #expect(try s.bed.sshAdd(["-X"], environment: env).status == 0)
    #expect(try s.bed.listed().isEmpty)
    #expect(try !s.canLogIn())
  }

  @Test func lazyUnlockAsksForThePassphraseOnFirstUse() throws {
    let dir = try CLIHarness.makeTempDirectory("lazy")
    defer { try? FileManager.default.removeItem(at: dir) }
    let askpass = dir.path + "/askpass"
    try Spawn.writeScript(askpass, "#!/bin/sh\ntouch \(dir.path)/asked\necho vault-pass\n")
    let s = try Setup(agentFlags: [], environment: ["SSH_ASKPASS": askpass, "DISPLAY": ":0"])
    #expect(try s.bed.sshAdd(["-l"]).stdout.contains("cloudkey"))  // listed while sealed
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/asked"))
    #expect(try s.canLogIn(), "\(s.bed.log)")
    #expect(FileManager.default.fileExists(atPath: dir.path + "/asked"))
  }

  @Test func keyImportedWhileTheAgentRunsIsListed() throws {
    // Sealed keys are listed only when a prompt could be shown.
    let s = try Setup(agentFlags: [], environment: ["SSH_ASKPASS": "/bin/false", "DISPLAY": ":0"])
    #expect(try s.bed.listed().count == 1)
    let second = try s.bed.makeKey("ecdsa", bits: 256, name: "second")
    let imported = try s.keyhold("import --vault \(s.vault) --name second --passphrase-fd 3 \(second)")
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(try s.bed.sshAdd(["-l"]).stdout.contains("second"))
  }

  @Test func keyImportedIntoTheOpenVaultSignsAtOnce() throws {
    let s = try Setup()
    #expect(try s.keyhold("unlock --passphrase-fd 3").status == 0)
    #expect(try s.bed.sshAdd(["-T", s.key + ".pub"]).status == 0)  // a signature: the interval's look
    let second = try s.bed.makeKey("ed25519", name: "second")
    let imported = try s.keyhold("import --vault \(s.vault) --name second --passphrase-fd 3 \(second)")
    #expect(imported.status == 0, "\(imported.stderr)")
    let tested = try s.bed.sshAdd(["-T", second + ".pub"])
    #expect(tested.status == 0, "\(tested.stderr)\n\(s.bed.log)")
  }

  @Test func unlockWithATimeoutSealsTheVaultAgain() throws {
    let s = try Setup()
    // Generous bounds: a loaded machine must not turn this into a race. Exact expiry is pinned by the keyring
    // tests on an injected clock; this checks the timeout reaches the agent and seals the vault on its own.
    let unlocking = ContinuousClock.now
    #expect(try s.keyhold("unlock --timeout 6 --passphrase-fd 3").status == 0)
    let first = try s.bed.listed()
    // The agent's own word that the timeout arrived, whatever the load; the listing only while 6 s have not passed.
    #expect(s.bed.log.contains("vault opened: 1 keys for 6 s"), "\(s.bed.log)")
    if Poll.elapsed(since: unlocking) < .seconds(6) { #expect(first.count == 1) }
    let sealed = Poll.until(Poll.startup, every: .milliseconds(200)) { (try? s.bed.listed().isEmpty) ?? false }
    #expect(sealed)
  }

  @Test func unlockWithoutAnAgentExplainsWhatToDo() throws {
    let scratch = try CLIHarness.makeTempDirectory("noagent")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let r = try Spawn.run(
      CLIHarness.binary.path, ["unlock", "--passphrase-fd", "0"], environment: Spawn.environment([:]), stdin: "x\n",
      scratch: scratch.path)
    #expect(r.status == 1)
    #expect(r.stderr.contains("keyhold: error: SSH_AUTH_SOCK is not set"))
    #expect(r.stderr.contains("keyhold: hint:"))
  }
}
