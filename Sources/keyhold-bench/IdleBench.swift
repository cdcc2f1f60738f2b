import AgentServer
import Foundation
import SSHKeys
import SSHWire
import TestSupport

/// The idle-connection benchmark: opens thousands of connections to an agent, lets them sit idle, and reads the
/// agent's threads and resident memory from /proc/PID/status; then signs with them still open.
///
/// `keyhold-bench idle [--quick] [--connections=N]` (5,000 by default) runs two agents one after another:
/// `keyhold agent` (served by AgentServer's `EventLoop`) and OpenSSH's ssh-agent. Targets: keyhold holds the idle
/// connections in ≤ 16 threads and ≤ 40 MB RSS, and its Ed25519 agent CPU per signature rises by at most 5 % with
/// them open.
enum IdleBench {
  static func run() throws {
    let quick = CommandLine.arguments.contains("--quick")
    let seconds = quick ? 0.5 : 2.0
    let count =
      CommandLine.arguments.first(where: { $0.hasPrefix("--connections=") })
      .flatMap { Int($0.dropFirst("--connections=".count)) } ?? 5000
    raiseDescriptorLimit()
    let dir = TemporaryTree.make("keyhold-idle")
    defer { TemporaryTree.remove(dir) }
    let bench = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let keyhold = bench.deletingLastPathComponent().appendingPathComponent("keyhold").path
    guard FileManager.default.isExecutableFile(atPath: keyhold) else {
      print("idle: \(keyhold) not built; run `swift build -c release` first")
      return
    }
    let agents: [(String, String, [String], String)] = [
      ("keyhold agent", keyhold, ["agent", "-D", "--no-vault", "-a", dir + "/k.sock"], dir + "/k.sock"),
      ("ssh-agent", "/usr/bin/ssh-agent", ["-D", "-a", dir + "/s.sock"], dir + "/s.sock"),
    ]
    let key = try PrivateKey.generate(.ed25519, comment: "idle-ed25519")
    let rsa = try PrivateKey.generate(.rsa, bits: 2048, comment: "idle-rsa")
    print("idle: \(count) idle connections (each lists keys once, then stays open); \(seconds) s per measurement")
    print(
      "  " + pad("agent", 22) + pad("threads", 14) + pad("RSS", 22) + pad("sign Ed25519 CPU/op", 24)
        + pad("wall/op", 20) + "RSA 2 conn/1")
    var results: [String: (threads: Int, rssKiB: Int, cpu0: Double, cpu: Double)] = [:]
    for (name, path, arguments, socket) in agents {
      let peer = try spawn(name, path, arguments, socket: socket)
      defer {
        kill(peer.pid, SIGTERM)
        waitpid(peer.pid, nil, 0)
      }
      let c = try AgentClient(path: socket)
      try AgentBench.add(key, to: c)
      try AgentBench.add(rsa, to: c)
      let threads0 = status(peer.pid, "Threads:")
      let rss0 = status(peer.pid, "VmRSS:")
      let sign0 = try AgentBench.measureSign(peer, key, [], seconds: seconds)
      let idle = try openIdle(count, socket)
      defer { for fd in idle { close(fd) } }
      let threads = status(peer.pid, "Threads:")
      let rss = status(peer.pid, "VmRSS:")
      let sign = try AgentBench.measureSign(peer, key, [], seconds: seconds)
      let one = try AgentBench.throughput(peer, rsa, .rsaSHA512, connections: 1, seconds: seconds)
      let two = try AgentBench.throughput(peer, rsa, .rsaSHA512, connections: 2, seconds: seconds)
      results[name] = (threads, rss, sign0.cpuPerOp, sign.cpuPerOp)
      print(
        "  " + pad(name, 22) + pad("\(threads0) → \(threads)", 14) + pad("\(mb(rss0)) → \(mb(rss))", 22)
          + pad("\(AgentBench.micro(sign0.cpuPerOp)) / \(AgentBench.micro(sign.cpuPerOp))", 24)
          + pad("\(AgentBench.micro(sign0.wallPerOp)) / \(AgentBench.micro(sign.wallPerOp))", 20)
          + String(format: "%.2fx", two / one))
    }
    var missed: [String] = []
    if let loop = results["keyhold agent"] {
      if loop.threads > 16 { missed.append("threads") }
      if loop.rssKiB > 40 * 1000 { missed.append("RSS") }
      let rise = loop.cpu / loop.cpu0 - 1
      print(
        String(format: "  keyhold sign CPU with the idle connections open vs without: %+.1f %% (≤ +5 %%)", rise * 100))
      if rise > 0.05 { missed.append("sign cost") }
    }
    print(missed.isEmpty ? "idle: every target met" : "idle: targets missed: \(missed.joined(separator: ", "))")
  }

  static func openIdle(_ count: Int, _ socket: String) throws -> [Int32] {
    let list = AgentFrame.frame(AgentRequest.requestIdentities.encode())
    var fds: [Int32] = []
    fds.reserveCapacity(count)
    for _ in 0..<count {
      let c = try AgentClient(path: socket)
      let fd = dup(c.fd)
      guard fd >= 0 else { throw POSIXError(.EMFILE) }
      fds.append(fd)
      try c.writeRaw(list)
      _ = try c.readFrame()
    }
    return fds
  }

  static func spawn(_ name: String, _ path: String, _ arguments: [String], socket: String) throws -> AgentBench.Peer {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { throw POSIXError(.ENOENT) }
    for _ in 0..<1000 where (try? AgentClient(path: socket)) == nil { usleep(10_000) }
    return AgentBench.Peer(name: name, pid: pid, socket: socket)
  }

  /// A number field of /proc/PID/status (`Threads:\t5`, `VmRSS:\t  17000 kB`).
  static func status(_ pid: pid_t, _ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field) {
      return Int(line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "0") ?? 0
    }
    return 0
  }

  static func mb(_ kib: Int) -> String { String(format: "%.1f MB", Double(kib) * 1024 / 1e6) }

  static func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
  }

  /// Each connection costs a descriptor here and one in the agent: raise the soft limit to the hard one (the
  /// agents inherit it).
  static func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
  }
}
