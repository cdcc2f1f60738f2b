import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A throwaway `moto_server` on its own loopback port, for tests that need a real EC2 Query endpoint.
///
/// Suites run in parallel on a loaded machine, so starting one is careful about three things: the port is one no
/// other test in this process was given, the server that answers on it is checked to be this one (through
/// `/proc`), and a server that lost its port to another program is started again on a new one. `stop` (also run
/// on deinit) ends it and reaps it.
public final class MotoServer: @unchecked Sendable {
  /// The port it listens on.
  public let port: Int
  /// Its process id.
  public let pid: pid_t
  /// A folder holding its output (`moto.out`, `moto.err`), removed by `stop`.
  public let directory: String
  private let lock = NSLock()
  private var stopped = false

  /// `http://127.0.0.1:PORT`.
  public var url: String { "http://127.0.0.1:\(port)" }

  /// Whether `moto_server` is on PATH.
  public static var isInstalled: Bool { ChildProcess.findExecutable("moto_server") != nil }

  /// Starts a server with extra environment and waits (up to `wait`) until it listens.
  public init(environment: [String: String] = [:], wait: Duration = Poll.startup) throws {
    guard let exe = ChildProcess.findExecutable("moto_server") else { throw MotoError("moto_server not on PATH") }
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    let dir = TemporaryTree.make("moto")
    let deadline = ContinuousClock.now + wait
    var lastError = "no attempt"
    for _ in 0..<5 {
      let port = try LoopbackListener.unusedPort()
      let pid = try ChildProcess.spawn(
        exe, ["-H", "127.0.0.1", "-p", String(port)], environment: env, stdin: "/dev/null",
        stdout: dir + "/moto.out", stderr: dir + "/moto.err")
      var exited = false
      let listening = Poll.until(deadline - ContinuousClock.now, every: .milliseconds(50)) {
        if waitpid(pid, nil, WNOHANG) == pid {
          exited = true
          return true
        }
        return MotoServer.accepts(port: port) && MotoServer.listens(pid: pid, port: port)
      }
      if listening && !exited {
        self.port = port
        self.pid = pid
        self.directory = dir
        return
      }
      let log = (try? String(contentsOfFile: dir + "/moto.err", encoding: .utf8)) ?? ""
      lastError = exited ? "exited: \(log.suffix(400))" : "not listening within \(wait)"
      if !exited { MotoServer.end(pid) }
      // Only a port lost to another program is worth another try; anything else fails the same way again.
      guard exited && log.contains("Address already in use") && ContinuousClock.now < deadline else { break }
    }
    TemporaryTree.remove(dir)
    throw MotoError("moto_server did not start: \(lastError)")
  }

  deinit { stop() }

  /// Ends the server (SIGTERM, SIGKILL if it lingers) and reaps it.
  public func stop() {
    let first = lock.withLock {
      defer { stopped = true }
      return !stopped
    }
    guard first else { return }
    MotoServer.end(pid)
    TemporaryTree.remove(directory)
  }

  /// SIGTERM, up to a minute to exit (a loaded machine is slow to run Python's shutdown), then SIGKILL; reaped.
  static func end(_ pid: pid_t) {
    kill(pid, SIGTERM)
    if !Poll.until(Poll.answer, every: .milliseconds(20), { waitpid(pid, nil, WNOHANG) == pid }) {
      kill(pid, SIGKILL)
      _ = ChildProcess.wait(pid)
    }
  }

  /// A port nothing listens on right now and that no other test in this process was given.
  public static func freePort() throws -> Int { try LoopbackListener.unusedPort() }

  /// Whether a TCP connection to 127.0.0.1:`port` is accepted.
  public static func accepts(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &addr) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }

  /// Whether the socket listening on 127.0.0.1:`port` belongs to process `pid`: its inode (from
  /// `/proc/net/tcp`, see proc(5)) is one of the process's open descriptors. Two servers handed the same port
  /// must not both believe it is theirs.
  public static func listens(pid: pid_t, port: Int) -> Bool {
    guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return false }
    let local = String(format: "0100007F:%04X", port)
    var inodes = Set<String>()
    for line in table.split(separator: "\n").dropFirst() {
      let f = line.split(separator: " ", omittingEmptySubsequences: true)
      // sl, local_address, rem_address, st (0A = LISTEN), tx:rx, tr:when, retrnsmt, uid, timeout, inode
      if f.count > 9 && f[1] == local && f[3] == "0A" { inodes.insert("socket:[\(f[9])]") }
    }
    guard !inodes.isEmpty else { return false }
    let fds = "/proc/\(pid)/fd"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: fds) else { return false }
    return names.contains { name in
      (try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + name)).map(inodes.contains) ?? false
    }
  }
}

/// Why a moto_server could not be started.
public struct MotoError: Error, CustomStringConvertible {
  /// What went wrong.
  public let description: String
  /// An error with this message.
  public init(_ d: String) { description = d }
}
