import Foundation
import TestSupport
import Testing

/// What the agent logs at start-up about sealed keys it cannot list: said only once there is a vault with keys.
@Suite struct AgentStartupLogTests {
  static let unlisted = "sealed vault keys are not listed"

  @Test func anAgentStartedBeforeTheVaultExistsSaysWhySealedKeysAreUnlistedOnlyOnceTheVaultAppears() throws {
    let data = try CLIHarness.makeTempDirectory("xdg-data")
    defer { try? FileManager.default.removeItem(at: data) }
    chmod(data.path, 0o700)
    let env = ["XDG_DATA_HOME": data.path, "KEYHOLD_VAULT": ""]
    // Lazy unlock is on but no askpass program can be run, as on a fresh machine under `make run`.
    let bed = try AgentTestbed(flags: [], environment: env)
    #expect(try bed.listed().isEmpty)
    #expect(!bed.log.contains(Self.unlisted), "\(bed.log)")

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
    let said = Poll.until(Poll.answer, every: .milliseconds(100)) {
      _ = try? bed.listed()
      return bed.log.contains(Self.unlisted)
    }
    #expect(said, "\(bed.log)")
    #expect(try bed.listed().isEmpty)
    #expect(bed.log.components(separatedBy: Self.unlisted).count == 2, "\(bed.log)")
  }
}
