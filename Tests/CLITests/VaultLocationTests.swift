import Foundation
import Testing

@Suite struct VaultLocationTests {
  /// Runs `keyhold init --kdf min` with the passphrase on stdin and the given environment and arguments.
  private func initVault(_ extra: [String], env: [String: String]) throws -> CLIHarness.Result {
    let base = ["KEYHOLD_VAULT": "", "XDG_DATA_HOME": "", "HOME": "/nonexistent"]
    return try CLIHarness.run(
      ["init", "--kdf", "min", "--passphrase-fd", "0"] + extra, stdin: Data("pw\n".utf8),
      environment: base.merging(env) { $1 })
  }

  @Test func theVaultPathFollowsOptionThenEnvironmentThenXDGThenHome() throws {
    let dir = try CLIHarness.makeTempDirectory("keyhold-vault-location")
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = dir.path
    #expect(try initVault([], env: ["HOME": p + "/home"]).status == 0)
    #expect(FileManager.default.fileExists(atPath: p + "/home/.local/share/keyhold/vault"))
    #expect(try initVault([], env: ["HOME": p + "/home", "XDG_DATA_HOME": p + "/xdg"]).status == 0)
    #expect(FileManager.default.fileExists(atPath: p + "/xdg/keyhold/vault"))
    #expect(try initVault([], env: ["XDG_DATA_HOME": p + "/xdg2", "KEYHOLD_VAULT": p + "/env/vault"]).status == 0)
    #expect(FileManager.default.fileExists(atPath: p + "/env/vault"))
    #expect(!FileManager.default.fileExists(atPath: p + "/xdg2"))
    #expect(try initVault(["--vault", p + "/opt/vault"], env: ["KEYHOLD_VAULT": p + "/env2/vault"]).status == 0)
    #expect(FileManager.default.fileExists(atPath: p + "/opt/vault"))
    #expect(!FileManager.default.fileExists(atPath: p + "/env2"))
    let attributes = try FileManager.default.attributesOfItem(atPath: p + "/opt")
    #expect((attributes[.posixPermissions] as? Int) == 0o700)
  }

  @Test func theTestOnlyKDFIsAcceptedButNotAdvertised() throws {
    let help = try CLIHarness.run(["init", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(
      separator: " ")
    #expect(help.contains("(values: interactive, moderate, sensitive;"))
    #expect(!help.contains(" min"))
    let dir = try CLIHarness.makeTempDirectory("keyhold-vault-kdf")
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try initVault(["--vault", dir.path + "/v"], env: [:]).status == 0)
    let bad = try initVault(["--vault", dir.path + "/w", "--kdf", "weak"], env: [:])
    #expect(bad.status != 0)
  }
}
