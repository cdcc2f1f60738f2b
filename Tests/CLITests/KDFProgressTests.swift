import Foundation
import Testing

/// A slow key derivation shows `keyhold: deriving the vault key (Argon2id, SIZE)…` on a terminal and erases it after;
/// scripts (stderr not a terminal) never see it.
@Suite struct KDFProgressTests {
  static let erase = "\r\u{1B}[K"

  @Test func aModerateKDFShowsAndErasesAProgressLineOnATerminal() throws {
    let s = try VaultSandbox(create: false)
    defer { s.cleanup() }
    try FileManager.default.createDirectory(
      atPath: (s.vault as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    // script(1) runs the command on a new pseudo-terminal and copies what it writes to our standard output.
    let command =
      "'\(CLIHarness.binary.path)' init --kdf moderate --vault '\(s.vault)' --passphrase-fd 3 3<'\(s.passFile)'"
    let r = try CLIHarness.run(
      ["-q", "-e", "-c", command, "/dev/null"], executable: URL(fileURLWithPath: "/usr/bin/script"))
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    let line = "keyhold: deriving the vault key (Argon2id, 256 MiB)…"
    let shown = try #require(r.stdout.range(of: line))
    #expect(r.stdout[shown.upperBound...].hasPrefix(Self.erase))
    #expect(r.stdout.contains("created vault"))
  }

  @Test func noProgressLineWhenStandardErrorIsNotATerminal() throws {
    let s = try VaultSandbox(create: false)
    defer { s.cleanup() }
    let r = try s.run(["init", "--kdf", "moderate"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)
  }

  @Test func aFastKDFShowsNoProgressLineEvenOnATerminal() throws {
    let s = try VaultSandbox(create: false)
    defer { s.cleanup() }
    try FileManager.default.createDirectory(
      atPath: (s.vault as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let command =
      "'\(CLIHarness.binary.path)' init --kdf interactive --vault '\(s.vault)' --passphrase-fd 3 3<'\(s.passFile)'"
    let r = try CLIHarness.run(
      ["-q", "-e", "-c", command, "/dev/null"], executable: URL(fileURLWithPath: "/usr/bin/script"))
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("created vault"))
    #expect(!r.stdout.contains("deriving"))
  }
}
