import Foundation
import TestSupport
import Testing

/// The agent reads its command line with ssh-agent's getopt rules (option string `cDdksTuUVE:a:O:P:t:`), through
/// every name the binary answers to: joined values, clustered flags, `--`, COMMAND after the options, and
/// ssh-agent's usage text and exit status 1 for `-h` and unknown options.
@Suite struct AgentGetoptTests {
  /// A foreground agent started with `arguments`, its output in files of its own folder.
  final class Foreground: @unchecked Sendable {
    let directory: URL
    let socket: String
    let pid: pid_t

    init(_ executable: URL, _ arguments: (String) -> [String], environment: [String: String] = [:]) throws {
      directory = try CLIHarness.makeTempDirectory("agent-getopt")
      socket = directory.path + "/agent.sock"
      pid = try Spawn.start(
        executable.path, arguments(socket), environment: Spawn.environment(environment), scratch: directory.path,
        tag: "agent")
      let (pid, socket) = (pid, socket)
      var exited = false
      let listening = Poll.until(Poll.startup) {
        exited = waitpid(pid, nil, WNOHANG) == pid
        return exited || UnixSocketProbe.accepts(socket)
      }
      guard listening && !exited else { throw TestbedError("the agent did not listen: \(log)") }
    }

    /// Whether standard output starts with `prefix`, waiting for it: the agent prints its environment lines after it
    /// starts listening, so on a busy machine a probe's connection can come first.
    func printed(_ prefix: String) -> Bool {
      Poll.until(Poll.answer) { stdout.hasPrefix(prefix) }
    }

    var stdout: String { (try? String(contentsOfFile: directory.path + "/agent.out", encoding: .utf8)) ?? "" }
    var log: String { (try? String(contentsOfFile: directory.path + "/agent.err", encoding: .utf8)) ?? "" }

    func sshAdd(_ arguments: [String]) throws -> Spawn.Result {
      try Spawn.run(
        "/usr/bin/ssh-add", arguments, environment: Spawn.environment(["SSH_AUTH_SOCK": socket]),
        scratch: directory.path)
    }

    deinit {
      kill(pid, SIGTERM)
      _ = Spawn.wait(pid, scratch: directory.path, tag: "agent")
      try? FileManager.default.removeItem(at: directory)
    }
  }

  /// A link named `name` to the keyhold binary, in a folder the caller removes.
  static func link(_ name: String) throws -> (URL, URL) {
    let dir = try CLIHarness.makeTempDirectory("agent-link")
    let link = dir.appendingPathComponent(name)
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: CLIHarness.binary)
    return (link, dir)
  }

  static func makeKey(in dir: URL) throws -> String {
    let path = dir.path + "/id_ed25519"
    let r = try Spawn.run(
      "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "getopt", "-f", path],
      environment: Spawn.environment([:]), scratch: dir.path)
    #expect(r.status == 0)
    return path
  }

  @Test("joined values (-t60, -a/path, -Esha256, -P/*, -Oopt) are read as getopt reads them")
  func joinedValuesAreOptionValues() throws {
    let agent = try Foreground(CLIHarness.binary) {
      ["agent", "-dt60", "-Emd5", "-P/*", "-Ono-restrict-websafe", "-a\($0)", "--no-vault"]
    }
    #expect(agent.printed("SSH_AUTH_SOCK=\(agent.socket); export SSH_AUTH_SOCK;"))
    let key = try Self.makeKey(in: agent.directory)
    let add = try agent.sshAdd([key])
    #expect(add.status == 0, "ssh-add: \(add.stderr)")
    // -t60 became every added key's lifetime, and -Emd5 the fingerprint hash of the log.
    #expect(Poll.until(Poll.answer) { agent.log.contains("life 60 ") })
    #expect(agent.log.contains(" MD5:"))
  }

  @Test(
    "clustered flags (-sD, -cD) work through the ssh-agent and keyhold-agent links",
    arguments: [
      ("ssh-agent", "-sD", "SSH_AUTH_SOCK=@PATH@; export SSH_AUTH_SOCK;\n"),
      ("keyhold-agent", "-cD", "setenv SSH_AUTH_SOCK @PATH@;\n"),
    ])
  func clusteredFlags(name: String, cluster: String, first: String) throws {
    let (link, dir) = try Self.link(name)
    defer { try? FileManager.default.removeItem(at: dir) }
    let agent = try Foreground(link) { [cluster, "-a", $0, "--no-vault"] }
    #expect(agent.printed(first.replacingOccurrences(of: "@PATH@", with: agent.socket)))
  }

  @Test("a command after the options, and after --, runs with the agent and returns its status")
  func commandAfterOptionsAndDoubleDash() throws {
    let dir = try CLIHarness.makeTempDirectory("agent-getopt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = "test -S \"$SSH_AUTH_SOCK\" && kill -0 $SSH_AGENT_PID && exit 5"
    let plain = try CLIHarness.run(["agent", "-t5m", "-a", dir.path + "/a.sock", "--no-vault", "sh", "-c", script])
    #expect(plain.status == 5, "stderr: \(plain.stderr)")
    let (link, linkDir) = try Self.link("ssh-agent")
    defer { try? FileManager.default.removeItem(at: linkDir) }
    // After --, a word that looks like an option belongs to COMMAND: here sh's own -c.
    let dashed = try CLIHarness.run(
      ["-a" + dir.path + "/b.sock", "--no-vault", "--", "sh", "-c", script], executable: link)
    #expect(dashed.status == 5, "stderr: \(dashed.stderr)")
    // The first non-option ends the options: -k after COMMAND is COMMAND's, not the agent's.
    let after = try CLIHarness.run(
      ["agent", "-a", dir.path + "/c.sock", "--no-vault", "sh", "-c", "exit 6", "-k"])
    #expect(after.status == 6, "stderr: \(after.stderr)")
  }

  @Test(
    "-h, --help and unknown options print the usage to stderr and exit 1, under the invoked name",
    arguments: [
      ("keyhold", ["agent", "-h"], "keyhold agent"),
      ("keyhold", ["agent", "--help"], "keyhold agent"),
      ("keyhold", ["agent", "-x"], "keyhold agent"),
      ("ssh-agent", ["-h"], "ssh-agent"),
      ("ssh-agent", ["-sx"], "ssh-agent"),
      ("keyhold-agent", ["--frobnicate"], "keyhold-agent"),
    ])
  func usageGoesToStderrWithStatus1(name: String, arguments: [String], program: String) throws {
    let (link, dir) = try Self.link(name)
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try CLIHarness.run(arguments, executable: name == "keyhold" ? CLIHarness.binary : link)
    #expect(r.status == 1)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("usage: \(program) [-c | -s] [-DdTU] [-a sock]"), "stderr: \(r.stderr)")
    #expect(r.stderr.contains("\(program) [-c | -s] -k"))
    if arguments.last != "-h" && arguments.last != "--help" {
      #expect(r.stderr.hasPrefix("keyhold: error: unknown option"), "stderr: \(r.stderr)")
    }
  }

  @Test(
    "usage mistakes ssh-agent refuses with its usage are refused with status 1",
    arguments: [
      ["-c", "-s"], ["-sc"], ["-Dd"], ["-dd"], ["-s", "sh", "-c", "true"], ["-k", "true"], ["-a"],
      ["--vault", "/x", "--no-vault"],
    ])
  func usageMistakesExit1(arguments: [String]) throws {
    let r = try CLIHarness.run(["agent"] + arguments)
    #expect(r.status == 1, "stderr: \(r.stderr)")
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.first?.hasPrefix("keyhold: error: ") == true, "stderr: \(r.stderr)")
    #expect(lines.dropFirst().first?.hasPrefix("usage: keyhold agent") == true)
  }

  @Test func anInvalidLifetimeExits1WithTheUsageLikeSSHAgent() throws {
    let r = try CLIHarness.run(["agent", "-t5x", "-D"])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("keyhold: error: invalid lifetime \"5x\"\nusage: keyhold agent"))
  }

  @Test func anInvalidHashExits255WithOneLineLikeSSHAgentsFatal() throws {
    let r = try CLIHarness.run(["agent", "-Esha1", "-D"])
    #expect(r.status == 255)
    #expect(r.stderr == "keyhold: error: invalid hash algorithm \"sha1\" (use sha256 or md5)\n")
  }

  @Test func versionGoesToStderrAndExits0() throws {
    let (link, dir) = try Self.link("ssh-agent")
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try CLIHarness.run(["-V"], executable: link)
    #expect(r.status == 0)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.hasPrefix("keyhold 0."))
  }

  @Test func cleaningSharedSocketFoldersIsRefusedInOneLine() throws {
    let r = try CLIHarness.run(["agent", "-u"])
    #expect(r.status == 1)
    #expect(r.stderr.split(separator: "\n").count == 1)
    #expect(r.stderr.hasPrefix("keyhold: error: -u is not supported"))
  }

  @Test("-T puts the socket in a fresh folder under TMPDIR even with XDG_RUNTIME_DIR set; -U is accepted")
  func temporarySocketFolder() throws {
    let runtime = try CLIHarness.makeTempDirectory("agent-xdg")
    let tmp = try CLIHarness.makeTempDirectory("agent-tmp")
    defer {
      try? FileManager.default.removeItem(at: runtime)
      try? FileManager.default.removeItem(at: tmp)
    }
    chmod(runtime.path, 0o700)
    let r = try AgentOutputTests.daemon(
      CLIHarness.binary, ["agent", "-sTU", "--no-vault"],
      environment: ["XDG_RUNTIME_DIR": runtime.path, "TMPDIR": tmp.path])
    defer { if let p = AgentOutputTests.pid(in: r.stdout) { kill(p, SIGTERM) } }
    #expect(r.status == 0)
    #expect(
      r.stdout.range(of: "^SSH_AUTH_SOCK=\(tmp.path)/ssh-[A-Za-z0-9]{12}/agent\\.\\d+; ", options: .regularExpression)
        != nil,
      "stdout: \(r.stdout)")
    #expect(!FileManager.default.fileExists(atPath: runtime.path + "/keyhold"))
  }

  @Test("the long options stay: --vault PATH, --vault=PATH, --no-vault, --no-lazy-unlock, --hide-orphaned")
  func longOptionsStillWork() throws {
    let dir = try CLIHarness.makeTempDirectory("agent-getopt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.path + "/missing"
    for words in [["--vault", missing], ["--vault=" + missing]] {
      let r = try CLIHarness.run(["agent", "-D"] + words)
      #expect(r.status == 1)
      #expect(r.stderr.hasPrefix("keyhold: error: no vault at \(missing)"), "stderr: \(r.stderr)")
    }
    let agent = try Foreground(CLIHarness.binary) {
      ["agent", "-D", "--no-vault", "--no-lazy-unlock", "--hide-orphaned", "-a", $0]
    }
    #expect(agent.printed("SSH_AUTH_SOCK=\(agent.socket);"))
  }

  @Test("--no-learn and --hide-other-hosts are long flags: accepted alone and among short ones, refused with a value")
  func hostOptionsAreLongFlags() throws {
    let agent = try Foreground(CLIHarness.binary) {
      ["agent", "-D", "--no-learn", "--no-vault", "--hide-other-hosts", "-t60", "-a", $0]
    }
    #expect(agent.printed("SSH_AUTH_SOCK=\(agent.socket);"))
    for name in ["no-learn", "hide-other-hosts"] {
      let r = try CLIHarness.run(["agent", "-D", "--\(name)=yes"])
      #expect(r.status == 1, "stderr: \(r.stderr)")
      #expect(r.stderr.hasPrefix("keyhold: error: option --\(name) takes no value"), "stderr: \(r.stderr)")
      #expect(r.stderr.contains("[--no-learn] [--hide-other-hosts]"))
    }
    // Long options only: ssh-agent's option string is kept, so no short spelling exists.
    let short = try CLIHarness.run(["agent", "-D", "-L"])
    #expect(short.status == 1)
    #expect(short.stderr.hasPrefix("keyhold: error: unknown option -- L"), "stderr: \(short.stderr)")
    // After COMMAND they are COMMAND's words, as getopt stops there.
    let dir = try CLIHarness.makeTempDirectory("agent-getopt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try CLIHarness.run(
      [
        "agent", "--no-vault", "--no-learn", "-a", dir.path + "/s.sock", "sh", "-c", "echo \"$1\"", "sh",
        "--hide-other-hosts",
      ])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("--hide-other-hosts"), "stdout: \(run.stdout)")
  }
}
