import Foundation
import Testing

/// Every error keyhold prints has one shape, `keyhold: error: ...` plus `keyhold: hint: ...`, and usage errors exit
/// with the status keyhold(1) documents.
@Suite struct CLIVoiceTests {
  static func run(_ args: [String]) throws -> CLIHarness.Result { try CLIHarness.run(args) }

  @Test(
    "parse and validation errors speak keyhold's voice and exit 2",
    arguments: [
      (["import", "--no-such-option"], "import"),
      (["show"], "show"),
      (["list", "--vault"], "list"),
      (["init", "--kdf", "bogus"], "init"),
      (["fingerprint", "-", "--passphrase-fd", "0"], "fingerprint"),
      (["keygen", "-t", "dsa"], "keygen"),
    ])
  func usageErrorsHaveOneVoice(args: [String], command: String) throws {
    let r = try Self.run(args)
    #expect(r.status == 2, "stderr: \(r.stderr)")
    #expect(r.stdout.isEmpty)
    let lines = r.stderr.split(separator: "\n").map(String.init)
    #expect(lines.count == 2, "stderr: \(r.stderr)")
    #expect(lines.first?.hasPrefix("keyhold: error: ") == true)
    #expect(lines.last == "keyhold: hint: see 'keyhold \(command) --help'")
    #expect(!r.stderr.contains("Error:") && !r.stderr.contains("Usage:"))
  }

  @Test func usageErrorMessagesAreLowercase() throws {
    let r = try Self.run(["import", "--no-such-option"])
    let message = try #require(r.stderr.split(separator: "\n").first?.dropFirst("keyhold: error: ".count))
    #expect(message.first?.isLowercase == true, "message: \(message)")
    #expect(message.contains("--no-such-option"))
  }

  @Test func aMistypedCommandGetsTheNearestOneAsHint() throws {
    let r = try Self.run(["lsit"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("keyhold: error: unknown command 'lsit'"))
    #expect(r.stderr.contains("keyhold: hint: did you mean 'keyhold list'?"))
  }

  @Test func anUnrelatedWordGetsTheCommandListAsHint() throws {
    let r = try Self.run(["frobnicate"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("keyhold: error: unknown command 'frobnicate'"))
    #expect(r.stderr.contains("keyhold: hint: see 'keyhold --help'"))
  }

  @Test("--help and --version print to stdout and exit 0", arguments: [["--help"], ["import", "--help"], ["-h"]])
  func helpIsUnchanged(args: [String]) throws {
    let r = try Self.run(args)
    #expect(r.status == 0)
    #expect(r.stdout.contains("USAGE:"))
    #expect(r.stderr.isEmpty)
  }

  @Test(
    "agent -h and --help print the agent's usage to stderr and exit 1 like ssh-agent, not run a command named -h",
    arguments: ["-h", "--help"])
  func agentHelpIsHelp(flag: String) throws {
    let r = try Self.run(["agent", "-D", flag])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("usage: keyhold agent"))
    #expect(r.stdout.isEmpty)
  }

  @Test func versionPrintsTheVersionAndExits0() throws {
    let r = try Self.run(["--version"])
    #expect(r.status == 0)
    #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
  }

  @Test func runtimeFailuresStillExit1() throws {
    let dir = try CLIHarness.makeTempDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try Self.run(["list", "--vault", dir.appendingPathComponent("missing").path])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("keyhold: error: no vault at "))
  }

  @Test func theManPageDocumentsExitStatus2ForUsageErrors() throws {
    let man = try String(contentsOf: CLIHarness.repoRoot.appendingPathComponent("man/keyhold.1"), encoding: .utf8)
    let section = try #require(
      man.components(separatedBy: ".Sh EXIT STATUS").last?.components(separatedBy: ".Sh ").first)
    #expect(section.contains(".It 2\nUsage error"))
    #expect(section.contains(".It 1\n"))
    #expect(section.contains("keyhold: hint:"))
  }

  @Test("keyhold-bench --help prints its usage and runs nothing", arguments: ["--help", "-h"])
  func benchHelpExits0(flag: String) throws {
    let bench = CLIHarness.repoRoot.appendingPathComponent(".build/debug/keyhold-bench")
    let r = try CLIHarness.run([flag], executable: bench)
    #expect(r.status == 0)
    #expect(r.stdout.hasPrefix("usage: keyhold-bench"))
    #expect(!r.stdout.contains("Argon2id") && !r.stdout.contains("µs"))
  }

  @Test func benchRefusesAnUnknownBenchmark() throws {
    let bench = CLIHarness.repoRoot.appendingPathComponent(".build/debug/keyhold-bench")
    let r = try CLIHarness.run(["nope"], executable: bench)
    #expect(r.status == 2)
    #expect(r.stderr.contains("unknown benchmark nope"))
  }
}
