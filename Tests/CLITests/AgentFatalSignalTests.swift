import Foundation
import TestSupport
import Testing

/// A crashing agent ends by the signal, at once: no backtrace with registers or memory from Swift's runtime (it
/// could show key material), no core file; and the socket it leaves behind does not block the next agent.
@Suite struct AgentFatalSignalTests {
  /// Starts `keyhold agent -D -a SOCK --no-vault` with its output files in `dir`.
  static func start(_ socket: String, in dir: URL, tag: String) throws -> pid_t {
    let pid = try Spawn.start(
      CLIHarness.binary.path, ["agent", "-D", "-a", socket, "--no-vault"],
      // The runtime's backtracer is off by default without a terminal; this asks for it, so the test would see it.
      environment: Spawn.environment(["SWIFT_BACKTRACE": "enable=yes"]), scratch: dir.path, tag: tag)
    var exited = false
    let listening = Poll.until(Poll.startup) {
      exited = waitpid(pid, nil, WNOHANG) == pid
      return exited || UnixSocketProbe.accepts(socket)
    }
    #expect(listening && !exited)
    return pid
  }

  /// waitpid's raw status, so the signal and the core-dump bit can both be read. A process still running after
  /// a generous wait (a backtracer paused over a crash) is killed and reported as nil.
  static func rawStatus(_ pid: pid_t) -> Int32? {
    var status: Int32 = 0
    let ended = Poll.until(Poll.answer) { waitpid(pid, &status, WNOHANG) == pid }
    guard ended else {
      kill(pid, SIGKILL)
      waitpid(pid, nil, 0)
      return nil
    }
    return status
  }

  @Test(
    "a fatal signal ends the agent by that signal, with no backtrace and no core, and the next agent takes the path",
    arguments: [SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE])
  func fatalSignalLeavesNothingBehind(signal: Int32) throws {
    let dir = try CLIHarness.makeTempDirectory("agent-crash")
    defer { try? FileManager.default.removeItem(at: dir) }
    let socket = dir.path + "/agent.sock"
    let first = try Self.start(socket, in: dir, tag: "first")
    let limits = (try? String(contentsOfFile: "/proc/\(first)/limits", encoding: .utf8)) ?? ""
    #expect(limits.range(of: #"Max core file size +0 +0 "#, options: .regularExpression) != nil, "\(limits)")
    kill(first, signal)
    let status = try #require(Self.rawStatus(first), "the agent did not end on the signal")
    let signalled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
    #expect(signalled && status & 0x7f == signal, "wait status \(status)")
    #expect(status & 0x80 == 0, "the agent dumped core")
    let stderr = (try? String(contentsOfFile: dir.path + "/first.err", encoding: .utf8)) ?? ""
    for marker in ["Program crashed", "Backtrace", "Thread 0", "rax", "rip", "Registers", "Fatal error"] {
      #expect(!stderr.contains(marker), "stderr: \(stderr)")
    }
    // The dead agent's socket is still there and refuses connections: the next agent replaces it.
    #expect(FileManager.default.fileExists(atPath: socket))
    #expect(!UnixSocketProbe.accepts(socket))
    let second = try Self.start(socket, in: dir, tag: "second")
    #expect(UnixSocketProbe.accepts(socket))
    // Its status is not checked: the socket listens a moment before the agent blocks SIGTERM for sigwait.
    kill(second, SIGTERM)
    _ = Self.rawStatus(second)
  }

  @Test func aLiveAgentsSocketIsNotReplaced() throws {
    let dir = try CLIHarness.makeTempDirectory("agent-crash")
    defer { try? FileManager.default.removeItem(at: dir) }
    let socket = dir.path + "/agent.sock"
    let first = try Self.start(socket, in: dir, tag: "first")
    defer {
      kill(first, SIGTERM)
      _ = Self.rawStatus(first)
    }
    let second = try CLIHarness.run(["agent", "-D", "-a", socket, "--no-vault"])
    #expect(second.status == 1)
    #expect(second.stderr.contains("Address already in use"), "stderr: \(second.stderr)")
    #expect(UnixSocketProbe.accepts(socket))
    #expect(kill(first, 0) == 0)
  }
}
