import Foundation
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
    let bed = try AgentTestbed(flags: ["--vault", s.vault])
    let listed = try bed.listed()
    #expect(listed.contains(try bed.fingerprint(a + ".pub")))
    #expect(listed.contains(try bed.fingerprint(b + ".pub")))
    let unlock = { (passphrase: String) throws -> Spawn.Result in
      try bed.run(CLIHarness.binary.path, ["unlock", "--passphrase-fd", "0"], stdin: passphrase + "\n")
    }
    #expect(try unlock("wrong").status != 0)
    let opened = try unlock(VaultSandbox.passphrase)
    #expect(opened.status == 0, "\(opened.stderr)")
    for key in [a, b] {
      let t = try bed.sshAdd(["-T", key + ".pub"])
      #expect(t.status == 0, "ssh-add -T \(key): \(t.stderr)")
    }
  }
}
