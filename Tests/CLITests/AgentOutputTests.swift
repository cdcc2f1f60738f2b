import Foundation
import TestSupport
import Testing

/// `keyhold agent`'s shell output is compared byte for byte with OpenSSH's ssh-agent; only the pid differs.
@Suite struct AgentOutputTests {
  static let sshAgent = URL(fileURLWithPath: "/usr/bin/ssh-agent")

  /// Replaces every run of digits after "pid " / "PID=" with N, so two agents' outputs can be compared.
  static func normalise(_ s: String, socket: String) -> String {
    var out = s.replacingOccurrences(of: socket, with: "SOCK")
    out = out.replacingOccurrences(of: #"(PID[= ])\d+"#, with: "$1N", options: .regularExpression)
    out = out.replacingOccurrences(of: #"pid \d+"#, with: "pid N", options: .regularExpression)
    return out
  }

  static func pid(in output: String) -> Int32? {
    guard let r = output.range(of: #"echo Agent pid (\d+)"#, options: .regularExpression) else { return nil }
    return Int32(output[r].split(separator: " ").last!)
  }

  /// Runs a daemonising agent with its output in a file and an empty signal mask, reaping it with waitpid: the
  /// forked agent may keep inherited pipe descriptors open (ssh-agent does), and must be killable with SIGTERM.
  static func daemon(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws
    -> (status: Int32, stdout: String)
  {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("agent-out-\(UUID().uuidString)").path
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    return try spawnAndWait(executable.path, arguments, environment: env, stdoutPath: file)
  }

  func startBoth(_ flags: [String]) throws -> (ours: String, theirs: String, dir: URL) {
    let dir = try CLIHarness.makeTempDirectory("agent-out")
    let ours = try Self.daemon(CLIHarness.binary, ["agent"] + flags + ["-a", dir.path + "/k.sock"])
    let theirs = try Self.daemon(Self.sshAgent, flags + ["-a", dir.path + "/o.sock"])
    #expect(ours.status == 0)
    #expect(theirs.status == 0)
    return (ours.stdout, theirs.stdout, dir)
  }

  func stop(_ outputs: String...) {
    for o in outputs { if let p = Self.pid(in: o) { kill(p, SIGTERM) } }
  }

  @Test func bourneOutputMatchesSSHAgent() throws {
    let (ours, theirs, dir) = try startBoth(["-s"])
    defer { try? FileManager.default.removeItem(at: dir) }
    defer { stop(ours, theirs) }
    #expect(Self.normalise(ours, socket: dir.path + "/k.sock") == Self.normalise(theirs, socket: dir.path + "/o.sock"))
    #expect(ours.hasPrefix("SSH_AUTH_SOCK=\(dir.path)/k.sock; export SSH_AUTH_SOCK;\nSSH_AGENT_PID="))
  }

  @Test func cShellOutputMatchesSSHAgent() throws {
    let (ours, theirs, dir) = try startBoth(["-c"])
    defer { try? FileManager.default.removeItem(at: dir) }
    defer { stop(ours, theirs) }
    #expect(Self.normalise(ours, socket: dir.path + "/k.sock") == Self.normalise(theirs, socket: dir.path + "/o.sock"))
    #expect(ours.hasPrefix("setenv SSH_AUTH_SOCK \(dir.path)/k.sock;\nsetenv SSH_AGENT_PID "))
  }

  @Test func shellIsChosenFromSHELLLikeSSHAgent() throws {
    let dir = try CLIHarness.makeTempDirectory("agent-out")
    defer { try? FileManager.default.removeItem(at: dir) }
    let ours = try Self.daemon(
      CLIHarness.binary, ["agent", "-a", dir.path + "/k.sock"], environment: ["SHELL": "/bin/tcsh"])
    defer { stop(ours.stdout) }
    #expect(ours.stdout.hasPrefix("setenv SSH_AUTH_SOCK"))
  }

  @Test func killOutputMatchesSSHAgentAndStopsTheAgent() throws {
    let (ours, theirs, dir) = try startBoth(["-s"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let ourPID = try #require(Self.pid(in: ours))
    let theirPID = try #require(Self.pid(in: theirs))
    let k1 = try CLIHarness.run(["agent", "-k"], environment: ["SSH_AGENT_PID": "\(ourPID)"])
    let k2 = try CLIHarness.run(["-k"], environment: ["SSH_AGENT_PID": "\(theirPID)"], executable: Self.sshAgent)
    #expect(k1.status == 0)
    #expect(k1.stdout == "unset SSH_AUTH_SOCK;\nunset SSH_AGENT_PID;\necho Agent pid \(ourPID) killed;\n")
    #expect(Self.normalise(k1.stdout, socket: "") == Self.normalise(k2.stdout, socket: ""))
    // The agent removes its socket when it exits on SIGTERM.
    #expect(Poll.until(Poll.answer) { !FileManager.default.fileExists(atPath: dir.path + "/k.sock") })
  }

  @Test func killWithoutAgentPIDFails() throws {
    let r = try CLIHarness.run(["agent", "-k"], environment: ["SSH_AGENT_PID": ""])
    #expect(r.status == 1)
    #expect(r.stderr.contains("SSH_AGENT_PID"))
  }

  @Test func commandRunsWithTheAgentAndItsStatusIsReturned() throws {
    let r = try CLIHarness.run(
      [
        "agent", "sh", "-c",
        "ssh-add -l >/dev/null; echo $?; test -S \"$SSH_AUTH_SOCK\" && kill -0 $SSH_AGENT_PID && exit 7",
      ])
    #expect(r.stdout == "1\n")  // ssh-add -l: "The agent has no identities." exits 1
    #expect(r.status == 7)
  }

  @Test func foregroundModePrintsTheSocketLineLikeSSHAgent() throws {
    let dir = try CLIHarness.makeTempDirectory("agent-out")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.path + "/fg.sock"
    let p = Process()
    p.executableURL = CLIHarness.binary
    p.arguments = ["agent", "-D", "-a", path]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
    p.terminate()
    p.waitUntilExit()
    #expect(line == "SSH_AUTH_SOCK=\(path); export SSH_AUTH_SOCK;\necho Agent pid \(p.processIdentifier);\n")
    #expect(p.terminationStatus == 2)
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  @Test func invalidLifetimeIsRefused() throws {
    let r = try CLIHarness.run(["agent", "-t", "5x", "-D"])
    #expect(r.status != 0)
    #expect(r.stderr.lowercased().contains("invalid lifetime"))
  }

  @Test func invokedAsSSHAgentTheBinaryIsTheAgent() throws {
    let dir = try CLIHarness.makeTempDirectory("agent-argv0")
    defer { try? FileManager.default.removeItem(at: dir) }
    let link = dir.appendingPathComponent("ssh-agent")
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: CLIHarness.binary)
    let r = try Self.daemon(link, ["-s", "-a", dir.path + "/a.sock"])
    defer { stop(r.stdout) }
    #expect(r.stdout.hasPrefix("SSH_AUTH_SOCK=\(dir.path)/a.sock; export SSH_AUTH_SOCK;"))
  }

  @Test func defaultSocketLivesInAPrivateRuntimeFolder() throws {
    let runtime = try CLIHarness.makeTempDirectory("agent-xdg")
    defer { try? FileManager.default.removeItem(at: runtime) }
    chmod(runtime.path, 0o700)
    let r = try Self.daemon(CLIHarness.binary, ["agent", "-s"], environment: ["XDG_RUNTIME_DIR": runtime.path])
    defer { stop(r.stdout) }
    #expect(r.stdout.hasPrefix("SSH_AUTH_SOCK=\(runtime.path)/keyhold/agent."))
    var st = stat()
    #expect(stat(runtime.path + "/keyhold", &st) == 0)
    #expect(st.st_mode & 0o777 == 0o700)
  }
}

/// posix_spawn with stdout to `stdoutPath`, stdin and stderr to /dev/null, default signal mask and dispositions.
func spawnAndWait(_ path: String, _ arguments: [String], environment: [String: String], stdoutPath: String) throws
  -> (status: Int32, stdout: String)
{
  let pid = try ChildProcess.spawn(
    path, arguments, environment: environment, stdin: "/dev/null", stdout: stdoutPath, stderr: "/dev/null")
  let status = ChildProcess.wait(pid)
  defer { unlink(stdoutPath) }
  let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
  return (status, text)
}
