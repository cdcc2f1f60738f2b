import Foundation
import Testing

/// The generated shell completions keep filename completion for path arguments and complete key names and KDF names.
@Suite struct CompletionTests {
  static func script(_ shell: String) throws -> String {
    let r = try CLIHarness.run(["--generate-completion-script", shell])
    #expect(r.status == 0)
    return r.stdout
  }

  /// The body of one bash function, `_keyhold_NAME() { ... }`.
  static func bashFunction(_ script: String, _ name: String) throws -> String {
    let start = try #require(script.range(of: "\n_keyhold_\(name)() {\n"))
    let end = try #require(script.range(of: "\n}\n", range: start.upperBound..<script.endIndex))
    return String(script[start.upperBound..<end.lowerBound])
  }

  /// The lines of a bash `case "${prev}"` arm for `option`, up to its `;;`.
  static func optionArm(_ body: String, _ option: String) throws -> String {
    let start = try #require(body.range(of: "'\(option)')\n"))
    let end = try #require(body.range(of: ";;", range: start.upperBound..<body.endIndex))
    return String(body[start.upperBound..<end.lowerBound])
  }

  /// The positional part of a bash function.
  static func positionals(_ body: String) throws -> String {
    let start = try #require(body.range(of: "# Offer positional completions"))
    return String(body[start.upperBound...])
  }

  @Test("bash completes files for import FILE, fingerprint FILE and --vault", arguments: ["import", "fingerprint"])
  func bashCompletesFilesForPathArguments(command: String) throws {
    let body = try Self.bashFunction(try Self.script("bash"), command)
    #expect(try Self.positionals(body).contains("__keyhold_add_completions -f"))
    if command == "import" {
      #expect(try Self.optionArm(body, "--vault").contains("__keyhold_add_completions -f"))
    }
  }

  @Test func bashOffersNothingForDescriptorNumbers() throws {
    let body = try Self.bashFunction(try Self.script("bash"), "import")
    let arm = try Self.optionArm(body, "--passphrase-fd")
    #expect(!arm.contains("__keyhold_add_completions"))
  }

  @Test(
    "bash completes key names from the vault",
    arguments: ["show", "export", "remove", "rename", "delete", "upload", "restore", "purge"])
  func bashCompletesKeyNames(command: String) throws {
    let body = try Self.bashFunction(try Self.script("bash"), command)
    #expect(try Self.positionals(body).contains("---completion \(command) -- positional@0"))
  }

  @Test func bashCompletesKDFNames() throws {
    let body = try Self.bashFunction(try Self.script("bash"), "init")
    let arm = try Self.optionArm(body, "--kdf")
    #expect(arm.contains("'interactive'") && arm.contains("'moderate'") && arm.contains("'sensitive'"))
  }

  @Test func bashCompletesAuditStates() throws {
    let body = try Self.bashFunction(try Self.script("bash"), "audit")
    let arm = try Self.optionArm(body, "--state")
    #expect(arm.contains("'orphaned'") && arm.contains("'cloud-only'") && arm.contains("'unverifiable'"))
  }

  @Test func retiredKeyNamesCompleteForRestore() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    #expect(
      try s.run(["import", try s.keygen("gone", type: "ed25519"), try s.keygen("kept", type: "ed25519")]).status == 0)
    #expect(try s.run(["remove", "gone"]).status == 0)
    let r = try CLIHarness.run(
      ["---completion", "restore", "--", "positional@0", "4", "0", "keyhold", "restore", "--vault", s.vault, ""])
    #expect(r.stdout.split(separator: "\n") == ["gone"])
  }

  @Test func zshCompletesFilesForImport() throws {
    let zsh = try Self.script("zsh")
    let start = try #require(zsh.range(of: "_keyhold_import() {"))
    let body = zsh[start.upperBound...].prefix(while: { $0 != "}" })
    #expect(body.contains("'*:file:_files'"))
    #expect(body.contains(":path:_files'"))
  }

  @Test func keyNameCompletionListsTheVaultsNamesWithoutAPassphrase() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("alpha", type: "ed25519")
    let b = try s.keygen("beta", type: "ed25519")
    #expect(try s.run(["import", a, b]).status == 0)
    // What bash runs: keyhold ---completion CMD -- ARG CWORD CURSOR WORDS...
    let words = ["keyhold", "show", "--vault", s.vault, ""]
    let all = try CLIHarness.run(["---completion", "show", "--", "positional@0", "4", "0"] + words)
    #expect(all.status == 0)
    #expect(all.stdout.split(separator: "\n") == ["alpha", "beta"])
    let some = try CLIHarness.run(
      ["---completion", "show", "--", "positional@0", "4", "1", "keyhold", "show", "--vault", s.vault, "b"])
    #expect(some.stdout.split(separator: "\n") == ["beta"])
  }

  @Test func keyNameCompletionIsSilentWithoutAVault() throws {
    let dir = try CLIHarness.makeTempDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("none").path
    let r = try CLIHarness.run(
      ["---completion", "show", "--", "positional@0", "4", "0", "keyhold", "show", "--vault", missing, ""])
    #expect(r.status == 0)
    #expect(r.stdout.isEmpty && r.stderr.isEmpty)
  }
}
