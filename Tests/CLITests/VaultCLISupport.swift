import Foundation
import Testing

/// A temp folder with a vault path and a passphrase file, for vault command tests.
struct VaultSandbox {
  let dir: URL
  let vault: String
  let passFile: String
  static let passphrase = "sandbox passphrase"

  init(create: Bool = true) throws {
    dir = try CLIHarness.makeTempDirectory("keyhold-vault-cli")
    vault = dir.appendingPathComponent("v/vault").path
    passFile = dir.appendingPathComponent("pass").path
    try (Self.passphrase + "\n").write(toFile: passFile, atomically: true, encoding: .utf8)
    if create {
      let r = try run(["init", "--kdf", "min"])
      precondition(r.status == 0, "init failed: \(r.stderr)")
    }
  }

  func cleanup() { try? FileManager.default.removeItem(at: dir) }

  /// Runs `keyhold ARGS --vault V --passphrase-fd 3` with descriptor 3 reading `passLines` (default: the vault
  /// passphrase), and `stdin` on standard input.
  @discardableResult
  func run(
    _ args: [String], stdin: Data = Data(), passLines: [String]? = nil, environment: [String: String] = [:],
    redirections: String = "", detached: Bool = false
  ) throws -> CLIHarness.Result {
    let lines = passLines ?? [Self.passphrase]
    let pf = dir.appendingPathComponent("pass-\(UUID().uuidString)").path
    try (lines.joined(separator: "\n") + "\n").write(toFile: pf, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: pf) }
    let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    let script = "exec \"$0\" \(quoted) --vault '\(vault)' --passphrase-fd 3 3<'\(pf)' \(redirections)"
    // `setsid --wait` runs it without a controlling terminal, as under cron.
    return try CLIHarness.run(
      (detached ? ["--wait", "/bin/sh"] : []) + ["-c", script, CLIHarness.binary.path], stdin: stdin,
      environment: environment, executable: URL(fileURLWithPath: detached ? "/usr/bin/setsid" : "/bin/sh"))
  }

  /// Runs `keyhold list --json` and returns its keys.
  func listedKeys() throws -> [[String: Any]] {
    let r = try run(["list", "--json"])
    #expect(r.status == 0, "list failed: \(r.stderr)")
    let doc = try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any]
    return doc?["keys"] as? [[String: Any]] ?? []
  }

  /// Makes a key with ssh-keygen and returns the private key file's path.
  func keygen(_ name: String, type: String, bits: Int? = nil, passphrase: String = "", format: String? = nil) throws
    -> String
  {
    let path = dir.appendingPathComponent(name).path
    var args = ["-q", "-t", type, "-N", passphrase, "-C", "\(name)@test", "-f", path]
    if let bits { args += ["-b", String(bits)] }
    if let format { args += ["-m", format] }
    let r = try CLIHarness.run(args, executable: URL(fileURLWithPath: "/usr/bin/ssh-keygen"))
    precondition(r.status == 0, "ssh-keygen failed: \(r.stderr)")
    return path
  }

  /// The bytes of a fixture under testdata/.
  static func fixture(_ path: String) throws -> Data {
    try Data(contentsOf: CLIHarness.repoRoot.appendingPathComponent("testdata/" + path))
  }

  /// A fixture's `.expect` sidecar as key/value pairs.
  static func expectations(_ path: String) throws -> [String: String] {
    let text = try String(
      contentsOf: CLIHarness.repoRoot.appendingPathComponent("testdata/" + path + ".expect"), encoding: .utf8)
    var out: [String: String] = [:]
    for line in text.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      out[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return out
  }
}
