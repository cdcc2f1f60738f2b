import Foundation
import KeyholdCrypto
import SSHKeys
import Testing

/// The agent serving a vault: keys listed while sealed, `keyhold unlock` opens it, ssh-add's signing check passes.
@Suite struct VaultAgentTests {
  @Test func theAgentListsVaultKeysWhileSealedAndSignsOnceUnlocked() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a", type: "ed25519")
    let b = try s.keygen("b", type: "rsa", bits: 2048)
    #expect(try s.run(["import", a]).status == 0)
    #expect(try s.run(["import", b]).status == 0)
    // Sealed keys are listed only when the agent could prompt for the passphrase.
    let bed = try AgentTestbed(
      flags: ["--vault", s.vault], environment: ["SSH_ASKPASS": "/bin/false", "DISPLAY": ":0"])
    let listed = try bed.listed()
    #expect(listed.contains(try bed.fingerprint(a + ".pub")))
    #expect(listed.contains(try bed.fingerprint(b + ".pub")))
    let unlock = { (passphrase: String) throws -> Spawn.Result in
      try bed.run(
        CLIHarness.binary.path, ["unlock", "--passphrase-fd", "0"], environment: ["KEYHOLD_VAULT": s.vault],
        stdin: passphrase + "\n")
    }
    let wrong = try unlock("wrong")
    #expect(wrong.status != 0)
    #expect(wrong.stderr.contains("incorrect vault passphrase"), "\(wrong.stderr)")
    // The sealed part altered (its checksum recomputed): the refusal says so instead of blaming the passphrase.
    let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: s.vault)))
    var body = Array(original.prefix(original.count - 32))
    body[body.count - 1] ^= 0x01
    try Data(body + Sodium.hash(body)).write(to: URL(fileURLWithPath: s.vault))
    let altered = try unlock(VaultSandbox.passphrase)
    #expect(altered.status != 0)
    #expect(altered.stderr.contains("altered"), "\(altered.stderr)")
    try Data(original).write(to: URL(fileURLWithPath: s.vault))
    let opened = try unlock(VaultSandbox.passphrase)
    #expect(opened.status == 0, "\(opened.stderr)")
    for key in [a, b] {
      let t = try bed.sshAdd(["-T", key + ".pub"])
      #expect(t.status == 0, "ssh-add -T \(key): \(t.stderr)")
    }
  }
}
