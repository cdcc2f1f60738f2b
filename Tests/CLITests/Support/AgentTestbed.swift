import Foundation
import TestSupport
import Testing

/// A running `keyhold agent -D` on a private socket, with helpers to drive it with OpenSSH's own tools.
final class AgentTestbed: @unchecked Sendable {
  let directory: URL
  let socket: String
  let pid: pid_t
  private(set) var environment: [String: String]

  /// Starts the agent with `flags` and extra environment (e.g. SSH_ASKPASS for confirmations).
  init(flags: [String] = ["--no-vault"], environment extra: [String: String] = [:]) throws {
    directory = try CLIHarness.makeTempDirectory("agent-bed")
    socket = directory.path + "/agent.sock"
    // The signature log goes to the testbed's folder unless the test names one, never to the user's home.
    var agentEnvironment = ["XDG_STATE_HOME": directory.path + "/state"]
    for (k, v) in extra { agentEnvironment[k] = v }
    pid = try Spawn.start(
      CLIHarness.binary.path, ["agent", "-d", "-a", socket] + flags, environment: Spawn.environment(agentEnvironment),
      scratch: directory.path, tag: "agent")
    environment = ["SSH_AUTH_SOCK": socket]
    let (pid, socket, directory) = (pid, socket, directory)
    var exited = false
    let listening = Poll.until(Poll.startup) {
      exited = waitpid(pid, nil, WNOHANG) == pid
      return exited || UnixSocketProbe.accepts(socket)
    }
    // On a throw from here deinit stops the agent and removes the folder.
    guard listening && !exited else {
      let log = (try? String(contentsOfFile: directory.path + "/agent.err", encoding: .utf8)) ?? ""
      throw TestbedError("the agent did not listen on \(socket): \(log.suffix(400))")
    }
  }

  /// The agent's debug log so far.
  var log: String { (try? String(contentsOfFile: directory.path + "/agent.err", encoding: .utf8)) ?? "" }

  deinit {
    kill(pid, SIGTERM)
    _ = Spawn.wait(pid, scratch: directory.path, tag: "agent")
    try? FileManager.default.removeItem(at: directory)
  }

  /// Runs an OpenSSH tool (or any program) with SSH_AUTH_SOCK pointing at the agent.
  @discardableResult
  func run(_ program: String, _ arguments: [String], environment extra: [String: String] = [:], stdin: String = "")
    throws -> Spawn.Result
  {
    var env = environment
    for (k, v) in extra { env[k] = v }
    return try Spawn.run(
      program, arguments, environment: Spawn.environment(env), stdin: stdin, scratch: directory.path,
      workingDirectory: directory.path)
  }

  /// `ssh-add ARGS`.
  @discardableResult
  func sshAdd(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Spawn.Result {
    try run("/usr/bin/ssh-add", arguments, environment: extra)
  }

  /// Generates a key with ssh-keygen; returns its private key path (the public key is PATH.pub).
  func makeKey(_ type: String, bits: Int? = nil, name: String) throws -> String {
    let path = directory.path + "/" + name
    var args = ["-q", "-t", type, "-N", "", "-C", name, "-f", path]
    if let bits { args += ["-b", "\(bits)"] }
    let r = try Spawn.run("/usr/bin/ssh-keygen", args, environment: Spawn.environment([:]), scratch: directory.path)
    #expect(r.status == 0, "ssh-keygen \(type): \(r.stderr)")
    return path
  }

  /// Writes an executable shell script and returns its path.
  func script(_ name: String, _ body: String) throws -> String {
    let path = directory.path + "/" + name
    try Spawn.writeScript(path, "#!/bin/sh\n" + body + "\n")
    return path
  }

  /// `ssh-keygen -lf PUB` fingerprint (second field).
  func fingerprint(_ publicKey: String) throws -> String {
    let r = try Spawn.run(
      "/usr/bin/ssh-keygen", ["-lf", publicKey], environment: Spawn.environment([:]), scratch: directory.path)
    return String(r.stdout.split(separator: " ")[1])
  }

  /// The fingerprints the agent lists (`ssh-add -l`).
  func listed() throws -> [String] {
    let r = try sshAdd(["-l"])
    guard r.status == 0 else { return [] }  // 1: "The agent has no identities."
    return r.stdout.split(separator: "\n").compactMap { line in
      let f = line.split(separator: " ")
      return f.count > 1 ? String(f[1]) : nil
    }
  }
}

/// A throwaway sshd on 127.0.0.1 with its own host key(s), authorized keys and optional trusted user CA.
final class TestSSHD: @unchecked Sendable {
  let directory: URL
  let port: Int
  let hostKey: String
  let pid: pid_t

  init(authorizedKeys: [String], trustedUserCA: String? = nil, extraConfig: String = "") throws {
    directory = try CLIHarness.makeTempDirectory("sshd")
    mkdir("/run/sshd", 0o755)
    hostKey = directory.path + "/host_ed25519"
    _ = try Spawn.run(
      "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey], environment: Spawn.environment([:]),
      scratch: directory.path)
    let keys = try authorizedKeys.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
    try keys.write(toFile: directory.path + "/authorized_keys", atomically: true, encoding: .utf8)
    // Another program may take the port first; sshd then fails to bind and exits, and we try another one.
    var started: (pid_t, Int)? = nil
    let deadline = ContinuousClock.now + Poll.startup
    for _ in 0..<10 where started == nil && ContinuousClock.now < deadline {
      let port = try LoopbackListener.unusedPort()
      var config = """
        ListenAddress 127.0.0.1
        Port \(port)
        HostKey \(hostKey)
        PidFile \(directory.path)/sshd.pid
        AuthorizedKeysFile \(directory.path)/authorized_keys
        UsePAM no
        StrictModes no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password

        """
      if let ca = trustedUserCA { config += "TrustedUserCAKeys \(ca)\n" }
      config += extraConfig
      try config.write(toFile: directory.path + "/sshd_config", atomically: true, encoding: .utf8)
      let pid = try Spawn.start(
        "/usr/sbin/sshd", ["-f", directory.path + "/sshd_config", "-D", "-e"], environment: Spawn.environment([:]),
        scratch: directory.path, tag: "sshd")
      let err = directory.path + "/sshd.err"
      var exited = false
      // sshd logs this line once it listens (sshd(8) -e: the log goes to standard error).
      let listening = Poll.until(deadline - ContinuousClock.now) {
        exited = waitpid(pid, nil, WNOHANG) == pid
        let log = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return exited || log.contains("Server listening on 127.0.0.1 port \(port)")
      }
      if listening && !exited {
        started = (pid, port)
      } else if !exited {
        kill(pid, SIGKILL)
        _ = ChildProcess.wait(pid)
      }
    }
    guard let started else { throw POSIXError(.EADDRINUSE) }
    (pid, port) = started
  }

  deinit {
    kill(pid, SIGTERM)
    _ = Spawn.wait(pid, scratch: directory.path, tag: "sshd")
    try? FileManager.default.removeItem(at: directory)
  }

  /// `ssh ... root@127.0.0.1 COMMAND` through the testbed's agent; returns the result.
  func ssh(_ bed: AgentTestbed, _ command: String, options: [String] = []) throws -> Spawn.Result {
    try bed.run(
      "/usr/bin/ssh",
      [
        "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
        "BatchMode=yes",
        "-o", "LogLevel=ERROR", "-p", "\(port)",
      ] + options + ["root@127.0.0.1", command])
  }

  static func canConnect(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    } == 0
  }
}

/// Why a test peer could not be started.
struct TestbedError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
