import Foundation
import TestSupport
import Testing

/// The agent follows the vault file while it runs: removed, retired, renamed and imported keys, a vault made after
/// the agent started, and the listing rule for sealed keys when no prompt can be shown.
@Suite struct AgentFollowsVaultTests {
  typealias Setup = AgentVaultTests.Setup

  /// Signs a file with the key whose public half is `publicKey`, through the agent (`ssh-keygen -Y sign`). The
  /// public key is copied where no private key lies beside it: ssh-keygen falls back to that file when the agent
  /// does not hold the key.
  static func signs(_ bed: AgentTestbed, _ publicKey: String) throws -> Bool {
    let data = bed.directory.path + "/data-\(UUID().uuidString)"
    try "to be signed\n".write(toFile: data, atomically: true, encoding: .utf8)
    let lone = data + "-key.pub"
    try FileManager.default.copyItem(atPath: publicKey, toPath: lone)
    let r = try bed.run("/usr/bin/ssh-keygen", ["-Y", "sign", "-f", lone, "-n", "file", data])
    return r.status == 0 && FileManager.default.fileExists(atPath: data + ".sig")
  }

  /// The comments `ssh-add -L` lists (the vault key's name is its comment in the agent).
  static func names(_ bed: AgentTestbed) throws -> [String] {
    let r = try bed.sshAdd(["-L"])
    guard r.status == 0 else { return [] }  // 1: "The agent has no identities."
    return r.stdout.split(separator: "\n").compactMap { line in
      let f = line.split(separator: " ", maxSplits: 2)
      return f.count > 2 ? String(f[2]) : nil
    }
  }

  @Test func aKeyRemovedWhileTheVaultIsOpenStopsSigning() throws {
    let s = try Setup()
    #expect(try s.keyhold("unlock --passphrase-fd 3").status == 0)
    #expect(try Self.signs(s.bed, s.key + ".pub"))
    let removed = try s.keyhold("remove --vault \(s.vault) --passphrase-fd 3 cloudkey")
    #expect(removed.status == 0, "\(removed.stderr)")
    let gone = Poll.until(Poll.answer, every: .milliseconds(100)) { (try? Self.names(s.bed).isEmpty) ?? false }
    #expect(gone, "\(s.bed.log)")
    #expect(try !Self.signs(s.bed, s.key + ".pub"))
    #expect(try !s.canLogIn())
  }

  @Test func aKeyImportedWhileTheVaultIsOpenIsListedAndSignsWithoutAPrompt() throws {
    let s = try Setup()  // no SSH_ASKPASS: a prompt would fail the signature
    #expect(try s.keyhold("unlock --passphrase-fd 3").status == 0)
    let second = try s.bed.makeKey("ecdsa", bits: 256, name: "second")
    let imported = try s.keyhold("import --vault \(s.vault) --name second --passphrase-fd 3 \(second)")
    #expect(imported.status == 0, "\(imported.stderr)")
    let listed = Poll.until(Poll.answer, every: .milliseconds(100)) {
      (try? Self.names(s.bed).contains("second")) ?? false
    }
    #expect(listed, "\(s.bed.log)")
    #expect(try Self.signs(s.bed, second + ".pub"), "\(s.bed.log)")
    #expect(try Self.signs(s.bed, s.key + ".pub"))
  }

  @Test func aRenamedKeyIsListedUnderItsNewNameAndStillSigns() throws {
    let s = try Setup()
    #expect(try s.keyhold("unlock --passphrase-fd 3").status == 0)
    #expect(try Self.names(s.bed) == ["cloudkey"])
    let renamed = try s.keyhold("rename --vault \(s.vault) --passphrase-fd 3 cloudkey webkey")
    #expect(renamed.status == 0, "\(renamed.stderr)")
    let listed = Poll.until(Poll.answer, every: .milliseconds(100)) { (try? Self.names(s.bed)) == ["webkey"] }
    #expect(listed, "\(s.bed.log)")
    #expect(try Self.signs(s.bed, s.key + ".pub"))
  }

  @Test func anAgentStartedBeforeInitServesTheVaultOnceItExists() throws {
    let data = try CLIHarness.makeTempDirectory("xdg-data")
    defer { try? FileManager.default.removeItem(at: data) }
    chmod(data.path, 0o700)
    let env = ["XDG_DATA_HOME": data.path, "KEYHOLD_VAULT": ""]
    let bed = try AgentTestbed(flags: [], environment: env)
    #expect(try bed.listed().isEmpty)
    let key = try bed.makeKey("ed25519", name: "late")
    try "vault-pass\n".write(toFile: bed.directory.path + "/pass", atomically: true, encoding: .utf8)
    let bin = CLIHarness.binary.path
    let pass = "3<\(bed.directory.path)/pass"
    let made = try bed.run(
      "/bin/sh",
      [
        "-c",
        "\(bin) init --kdf interactive --passphrase-fd 3 \(pass) && \(bin) import --name late --passphrase-fd 3 \(key) \(pass)",
      ], environment: env)
    #expect(made.status == 0, "\(made.stderr)")
    let unlock = try bed.run("/bin/sh", ["-c", "\(bin) unlock --passphrase-fd 3 \(pass)"], environment: env)
    #expect(unlock.status == 0, "\(unlock.stderr) \(bed.log)")
    #expect(try Self.names(bed) == ["late"])
    #expect(try Self.signs(bed, key + ".pub"))
  }

  @Test func unlockOnAnAgentWithoutAVaultSaysItWasStartedWithNoVault() throws {
    let bed = try AgentTestbed(flags: ["--no-vault"])
    let r = try bed.run(CLIHarness.binary.path, ["unlock", "--passphrase-fd", "0"], stdin: "vault-pass\n")
    #expect(r.status == 1)
    #expect(r.stderr.contains("keyhold: error: the agent was started with --no-vault"), "\(r.stderr)")
    #expect(!r.stderr.contains("check the passphrase"))
  }

  @Test func afterLockWithoutAskpassTheVaultsKeysAreNotListed() throws {
    let s = try Setup(agentFlags: [])  // lazy unlock on, but no askpass program can be run
    #expect(try s.keyhold("unlock --passphrase-fd 3").status == 0)
    #expect(try Self.names(s.bed) == ["cloudkey"])
    #expect(try s.keyhold("lock").status == 0)
    #expect(try s.bed.listed().isEmpty)
    #expect(s.bed.log.components(separatedBy: "sealed vault keys are not listed").count == 2, "\(s.bed.log)")
  }

  @Test func withAReachableAskpassTheSealedVaultsKeysAreListed() throws {
    let dir = try CLIHarness.makeTempDirectory("askpass")
    defer { try? FileManager.default.removeItem(at: dir) }
    let askpass = dir.path + "/askpass"
    try Spawn.writeScript(askpass, "#!/bin/sh\necho vault-pass\n")
    let s = try Setup(agentFlags: [], environment: ["SSH_ASKPASS": askpass, "DISPLAY": ":0"])
    #expect(try Self.names(s.bed) == ["cloudkey"])
    #expect(!s.bed.log.contains("sealed vault keys are not listed"))
  }

  @Test func anAskpassWithoutADisplayIsNotEnoughToListSealedKeys() throws {
    let dir = try CLIHarness.makeTempDirectory("askpass")
    defer { try? FileManager.default.removeItem(at: dir) }
    let askpass = dir.path + "/askpass"
    try Spawn.writeScript(askpass, "#!/bin/sh\necho vault-pass\n")
    let s = try Setup(agentFlags: [], environment: ["SSH_ASKPASS": askpass])
    #expect(try s.bed.listed().isEmpty)
    #expect(s.bed.log.contains("neither DISPLAY nor WAYLAND_DISPLAY is set"), "\(s.bed.log)")
  }

  @Test func askpassRequireForceListsSealedKeysWithoutADisplay() throws {
    let s = try Setup(agentFlags: [], environment: ["SSH_ASKPASS": "/bin/false", "SSH_ASKPASS_REQUIRE": "Force"])
    #expect(try Self.names(s.bed) == ["cloudkey"])
  }
}
