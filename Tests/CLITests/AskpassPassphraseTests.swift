import Foundation
import Testing

/// Without a terminal, commands ask `SSH_ASKPASS` for a passphrase (`setsid` detaches the run from any terminal).
@Suite struct AskpassPassphraseTests {
  static let key = "keys/sshkeygen-ed25519-openssh-enc"

  static func runDetached(askpass: String) throws -> CLIHarness.Result {
    try CLIHarness.run(
      [CLIHarness.binary.path, "fingerprint", FingerprintCommandTests.path(key)],
      environment: ["SSH_ASKPASS": askpass], executable: URL(fileURLWithPath: "/usr/bin/setsid"))
  }

  @Test func anEncryptedKeyOpensWithThePassphraseAskpassPrints() throws {
    let dir = try CLIHarness.makeTempDirectory("askpass")
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.path + "/askpass"
    try Spawn.writeScript(script, "#!/bin/sh\necho \(FingerprintCommandTests.passphrase)\n")
    let r = try Self.runDetached(askpass: script)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains(try FingerprintCommandTests.expectation(Self.key)["sha256"] ?? "missing"))
  }

  @Test func aFailingAskpassIsOneErrorLine() throws {
    let r = try Self.runDetached(askpass: "/bin/false")
    #expect(r.status == 1)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.first?.hasPrefix("keyhold: error: passphrase entry cancelled") == true, "\(r.stderr)")
    #expect(lines.filter { $0.hasPrefix("keyhold: error:") }.count == 1)
  }
}
