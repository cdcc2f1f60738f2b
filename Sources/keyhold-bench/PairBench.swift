import AgentServer
import Foundation
import SSHKeys
import SSHWire
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// This build's agent against another keyhold build's (`--baseline=PATH`: the `keyhold` binary of, say, an
/// earlier commit's release build), side by side: both agents run at once and are measured in alternating short
/// rounds, so a load that comes and goes on the machine falls on both alike. Agent CPU is the sum of the agent's
/// threads' run time from /proc/PID/task/TID/schedstat (nanoseconds, where /proc/PID/stat counts 10 ms ticks); a
/// round in which one of an agent's threads exited, taking its time with it, is measured again. The client runs
/// on the first core and both agents on the second (``pin(_:to:)``).
///
/// Reported: the median over the rounds of each agent's CPU per operation, and the median of the per-round ratios,
/// for Ed25519 signing on one connection and for connect + list (a new connection per listing, as ssh makes).
/// Target (issue: architecture): this build at most 5 % above the baseline.
///
/// `keyhold-bench pair --baseline=PATH [--no-log] [--quick]`; `--no-log` starts this build's agent without its
/// signature log, to compare with builds that had none.
enum PairBench {
  struct Operation {
    let name: String
    let seconds: Double
    let run: (AgentBench.Peer) throws -> Int
  }

  static func run() throws {
    guard let option = CommandLine.arguments.first(where: { $0.hasPrefix("--baseline=") }) else {
      print("pair: give the other build's keyhold binary with --baseline=PATH")
      return
    }
    let baseline = String(option.dropFirst("--baseline=".count))
    let quick = CommandLine.arguments.contains("--quick")
    let rounds = quick ? 5 : 21
    let dir = TemporaryTree.make("keyhold-bench-pair")
    defer { TemporaryTree.remove(dir) }
    let ourBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
      .deletingLastPathComponent().appendingPathComponent("keyhold").path
    for binary in [ourBinary, baseline] where !FileManager.default.isExecutableFile(atPath: binary) {
      print("pair: \(binary) is not an executable keyhold build")
      return
    }
    setenv("XDG_STATE_HOME", dir + "/state", 1)
    let noLog = CommandLine.arguments.contains("--no-log") ? ["--no-log"] : []
    let ours = try AgentBench.start(
      "this build", ourBinary, ["agent", "-D", "--no-vault"] + noLog + ["-a", dir + "/ours.sock"], dir)
    let theirs = try AgentBench.start(
      "baseline", baseline, ["agent", "-D", "--no-vault", "-a", dir + "/baseline.sock"], dir)
    defer {
      for p in [ours, theirs] {
        kill(p.pid, SIGTERM)
        waitpid(p.pid, nil, 0)
      }
    }
    pin(0, to: 0)
    for peer in [ours, theirs] { pin(peer.pid, to: 1) }
    let key = try PrivateKey.generate(.ed25519, comment: "bench-pair")
    for peer in [ours, theirs] { try AgentBench.add(key, to: try AgentClient(path: peer.socket)) }
    let request = AgentFrame.frame(
      AgentRequest.signRequest(
        AgentSignRequest(keyBlob: key.publicKey.blob, data: Array(repeating: 0x5a, count: 128), flags: 0)
      ).encode())
    let seconds = quick ? 0.3 : 0.8
    let operations = [
      Operation(name: "sign Ed25519, agent CPU/op", seconds: seconds) { peer in
        let c = try AgentClient(path: peer.socket)
        return try repeated(seconds) {
          try c.writeRaw(request)
          _ = try c.readFrame()
        }
      },
      Operation(name: "connect + list, agent CPU/op", seconds: seconds) { peer in
        try repeated(seconds) { _ = try AgentClient(path: peer.socket).call(.requestIdentities) }
      },
    ]
    print("pair: this build \(noLog.isEmpty ? "" : "(--no-log) ")against \(baseline), \(rounds) alternating rounds")
    print(AgentBench.row("operation", "this build", "baseline", "ratio", "target"))
    var missed: [String] = []
    for operation in operations {
      let paired = try alternating(ours, theirs, rounds: rounds, operation)
      let mine = paired.map(\.first)
      let other = paired.map(\.second)
      let ratio = median(paired.map { $0.first / $0.second })
      print(
        AgentBench.row(
          operation.name, AgentBench.micro(median(mine)), AgentBench.micro(median(other)),
          String(format: "%.3f", ratio), "≤ 1.050"))
      if ratio > 1.05 { missed.append(operation.name) }
    }
    print(missed.isEmpty ? "pair: targets met" : "pair: targets missed: \(missed.joined(separator: "; "))")
  }

  /// Agent CPU per operation of `first` and `second` in each of `rounds` rounds of `operation`. Which agent goes
  /// first alternates, so neither always follows the other's cache and frequency effects.
  static func alternating(
    _ first: AgentBench.Peer, _ second: AgentBench.Peer, rounds: Int, _ operation: Operation
  ) throws -> [(first: Double, second: Double)] {
    try (0..<rounds).map { round in
      let order = round % 2 == 0 ? [first, second] : [second, first]
      var perOp: [pid_t: Double] = [:]
      for peer in order { perOp[peer.pid] = try measured(peer, operation) }
      return (perOp[first.pid]!, perOp[second.pid]!)
    }
  }

  /// Agent CPU per operation over one round of `operation`; measured again (up to five times) while a thread of
  /// the agent exits during the round.
  static func measured(_ peer: AgentBench.Peer, _ operation: Operation) throws -> Double {
    for _ in 0..<5 {
      let before = threads(peer.pid)
      let ops = try operation.run(peer)
      let after = threads(peer.pid)
      if before.keys.allSatisfy({ after[$0] != nil }) {
        let cpu =
          before.reduce(0.0) { $0 + (after[$1.key]! - $1.value) }
          + after.filter { before[$0.key] == nil }.reduce(0.0) { $0 + $1.value }
        return cpu / Double(max(ops, 1))
      }
    }
    throw POSIXError(.EAGAIN)
  }

  /// Runs `op` in groups of 16 for about `seconds`; the number of operations.
  static func repeated(_ seconds: Double, _ op: () throws -> Void) throws -> Int {
    let t0 = AgentBench.now()
    var n = 0
    repeat {
      for _ in 0..<16 { try op() }
      n += 16
    } while AgentBench.now() - t0 < seconds
    return n
  }

  /// Each thread of `pid` and its run time so far, in seconds (schedstat's first field, in nanoseconds).
  static func threads(_ pid: pid_t) -> [String: Double] {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [:] }
    var out: [String: Double] = [:]
    for task in tasks {
      guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
        let first = text.split(separator: " ").first, let ns = Double(first)
      else { continue }
      out[task] = ns / 1e9
    }
    return out
  }

  static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

  /// Pins every thread of `pid` (0: this process) to `cpu`, so that each round runs with the client on one core
  /// and the agent on the other, rather than wherever the scheduler happened to put them (a wake-up on the same
  /// core and one across cores differ by more than the margins measured). Threads the agent starts later inherit
  /// the mask. With taskset(1) from util-linux; does nothing on a one-core machine or without it.
  static func pin(_ pid: pid_t, to cpu: Int) {
    guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) > cpu,
      let taskset = ["/usr/bin/taskset", "/bin/taskset"].first(where: FileManager.default.isExecutableFile)
    else { return }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: taskset)
    p.arguments = ["-a", "-p", "-c", String(cpu), String(pid == 0 ? getpid() : pid)]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try? p.run()
    p.waitUntilExit()
  }

}
