import Foundation
import Testing

/// `keyhold keygen`, run as the built binary, makes keys OpenSSH reads, and refuses what it should.
@Suite struct KeygenCommandTests {
  /// Runs `keyhold ARGS`, or an OpenSSH tool when the first argument is `ssh-keygen`.
  static func run(_ args: [String]) throws -> CLIHarness.Result {
    if args[0] == "keyhold" { return try CLIHarness.run(Array(args.dropFirst())) }
    return try CLIHarness.run(Array(args.dropFirst()), executable: URL(fileURLWithPath: "/usr/bin/" + args[0]))
  }

  static func tempDir() throws -> URL { try CLIHarness.makeTempDirectory("keyhold-keygen") }

  static func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
  }

  @Test(
    "-f writes FILE (0600) and FILE.pub, and ssh-keygen -y derives the same public line",
    arguments: [["-t", "ed25519"], ["-t", "ecdsa"], ["-t", "ecdsa", "-b", "521"], ["-t", "rsa", "-b", "2048"]])
  func writesKeyPairOpenSSHReads(typeArgs: [String]) throws {
    let dir = try Self.tempDir()
    let file = dir.appendingPathComponent("id").path
    let made = try Self.run(["keyhold", "keygen"] + typeArgs + ["-C", "alice@example", "-f", file])
    #expect(made.status == 0, "\(made.stderr)")
    #expect(try Self.mode(file) == 0o600)
    let pubLine = try String(contentsOfFile: file + ".pub", encoding: .utf8)
    #expect(pubLine.hasSuffix(" alice@example\n"))
    let derived = try Self.run(["ssh-keygen", "-y", "-f", file])
    #expect(derived.status == 0, "\(derived.stderr)")
    #expect(derived.stdout == pubLine)
    // The printed line is what ssh-keygen -l says about the public key.
    let listed = try Self.run(["ssh-keygen", "-l", "-f", file + ".pub"])
    #expect(made.stdout == listed.stdout)
  }

  @Test("without -f the private key goes to standard output and nothing else does")
  func writesPrivateKeyToStdout() throws {
    let made = try Self.run(["keyhold", "keygen", "-t", "ecdsa", "-b", "384", "-C", "piped"])
    #expect(made.status == 0)
    #expect(made.stdout.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
    #expect(made.stdout.hasSuffix("-----END OPENSSH PRIVATE KEY-----\n"))
    let dir = try Self.tempDir()
    let file = dir.appendingPathComponent("k")
    try Data(made.stdout.utf8).write(to: file)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    let derived = try Self.run(["ssh-keygen", "-y", "-f", file.path])
    #expect(derived.stdout.hasPrefix("ecdsa-sha2-nistp384 "))
    #expect(derived.stdout.hasSuffix(" piped\n"))
  }

  @Test("an existing file is not replaced without --force, and is with it")
  func refusesToOverwrite() throws {
    let dir = try Self.tempDir()
    let file = dir.appendingPathComponent("id").path
    #expect(try Self.run(["keyhold", "keygen", "-f", file]).status == 0)
    let before = try String(contentsOfFile: file, encoding: .utf8)
    let again = try Self.run(["keyhold", "keygen", "-f", file])
    #expect(again.status == 1)
    #expect(again.stderr.hasPrefix("keyhold: error: \(file) already exists\nkeyhold: hint: "))
    #expect(try String(contentsOfFile: file, encoding: .utf8) == before)
    let forced = try Self.run(["keyhold", "keygen", "-f", file, "--force"])
    #expect(forced.status == 0)
    #expect(try String(contentsOfFile: file, encoding: .utf8) != before)
    #expect(try Self.mode(file) == 0o600)
  }

  @Test(
    "unsupported sizes are errors with a hint",
    arguments: [["-t", "rsa", "-b", "1024"], ["-t", "ecdsa", "-b", "300"]])
  func refusesBadSizes(args: [String]) throws {
    let r = try Self.run(["keyhold", "keygen"] + args)
    #expect(r.status == 1)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.hasPrefix("keyhold: error: "))
    #expect(r.stderr.contains("keyhold: hint: "))
  }

  @Test("usage mistakes exit 2", arguments: [["--force"], ["-t", "ed25519", "-b", "512"], ["-t", "dsa"]])
  func usageErrors(args: [String]) throws {
    #expect(try Self.run(["keyhold", "keygen"] + args).status == 2)
  }

  @Test("the man page has EXIT STATUS and EXAMPLES sections (options are checked by ManPageTests)")
  func manPageHasRequiredSections() throws {
    let man = try String(
      contentsOf: CLIHarness.repoRoot.appendingPathComponent("man/keyhold-keygen.1"), encoding: .utf8)
    #expect(man.contains(".Sh EXIT STATUS") && man.contains(".Sh EXAMPLES"))
  }
}
