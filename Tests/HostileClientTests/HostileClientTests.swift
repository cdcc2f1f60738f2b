import Foundation
import KeyholdSystem
import SSHWire
import Synchronization
import TestSupport
import Testing

/// The real `keyhold agent` against clients that guess, hoard connections or send hostile names.
@Suite(.serialized) struct HostileClientTests {
  static let binary = Repository.root.appendingPathComponent(".build/debug/keyhold").path

  /// Starts `keyhold agent MODE --no-vault -a SOCK` (`-D`, or `-d` to log debug lines), waits for its socket.
  static func start(_ mode: String = "-D") throws -> (pid: pid_t, socket: String, dir: String) {
    raiseDescriptorLimit()
    let dir = TemporaryTree.make("hostile")
    let socket = dir + "/a.sock"
    let pid = try ChildProcess.spawn(
      binary, ["agent", mode, "--no-vault", "-a", socket], environment: [:], stdin: "/dev/null",
      stdout: dir + "/out", stderr: dir + "/err")
    #expect(Poll.until(Poll.startup) { UnixSocketProbe.accepts(socket) })
    return (pid, socket, dir)
  }

  static func end(_ pid: pid_t, _ dir: String) {
    kill(pid, SIGKILL)
    _ = ChildProcess.wait(pid)
    TemporaryTree.remove(dir)
  }

  static func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
  }

  static func send(_ fd: Int32, _ request: AgentRequest) throws {
    try Descriptor.writeAll(fd, AgentFrame.frame(request.encode()), label: "agent")
  }

  /// Reads one reply frame's body (blocking).
  static func reply(_ fd: Int32) -> [UInt8]? {
    func exactly(_ n: Int) -> [UInt8]? {
      var out = [UInt8](repeating: 0, count: n)
      var got = 0
      while got < n {
        let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
        if r < 0 && errno == EINTR { continue }
        guard r > 0 else { return nil }
        got += r
      }
      return out
    }
    guard let head = exactly(4) else { return nil }
    return exactly(head.reduce(0) { $0 << 8 | Int($1) })
  }

  /// A field of /proc/PID/status in kB (or a count).
  static func status(_ pid: pid_t, _ field: String) -> Int {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") where line.hasPrefix(field) {
      return Int(line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "0") ?? 0
    }
    return 0
  }

  @Test func parallelWrongUnlocksAreRateLimitedAndABystanderIsStillAnswered() throws {
    let agent = try Self.start()
    defer { Self.end(agent.pid, agent.dir) }
    let address = try UnixSocketAddress(path: agent.socket)
    let owner = try address.connect()
    defer { close(owner) }
    try Self.send(owner, .lock(passphrase: Array("right".utf8)))
    #expect(Self.reply(owner) == [AgentMessageType.success.rawValue])
    let idle = Self.status(agent.pid, "VmRSS:")
    let guessers = try (0..<200).map { _ in try address.connect() }
    defer { for fd in guessers { close(fd) } }
    for fd in guessers { try Self.send(fd, .unlock(passphrase: Array("wrong".utf8))) }
    // Answers in order of arrival: read them as they come on a thread of their own.
    let answered = Mutex<[ContinuousClock.Instant]>([])
    let reader = Thread {
      var open = Set(guessers)
      while !open.isEmpty {
        var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), 1000) >= 0 else { continue }
        for p in fds where p.revents != 0 {
          open.remove(p.fd)
          if Self.reply(p.fd) != nil { answered.withLock { $0.append(.now) } }
        }
        if answered.withLock({ $0.count }) >= 15 { return }
      }
    }
    reader.start()
    #expect(Poll.until(.seconds(300)) { answered.withLock { $0.count } >= 15 })
    let times = answered.withLock { $0 }
    try #require(times.count >= 15)
    // The 11th answer onwards waits a back-off of at least a second each.
    let window = times[14] - times[10]
    #expect(window >= .milliseconds(3500), "4 guesses after the tenth took \(window)")
    // A bystander is answered while most guesses still wait.
    let bystander = try address.connect()
    defer { close(bystander) }
    try Self.send(bystander, .requestIdentities)
    let listing = Self.reply(bystander)
    #expect(listing?.first == AgentMessageType.failure.rawValue || listing?.first == 12)
    #expect(answered.withLock { $0.count } < 100)
    #expect(Self.status(agent.pid, "VmHWM:") <= idle + 64 * 1024)
  }

  @Test func fiveThousandIdleConnectionsHoldFewThreadsAndLittleMemory() throws {
    let agent = try Self.start()
    defer { Self.end(agent.pid, agent.dir) }
    let address = try UnixSocketAddress(path: agent.socket)
    var fds: [Int32] = []
    defer { for fd in fds { close(fd) } }
    for _ in 0..<5000 {
      let fd = try address.connect()
      fds.append(fd)
      try Self.send(fd, .requestIdentities)
      #expect(Self.reply(fd)?.first == 12)
    }
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(agent.pid)/task").count) ?? 0
    #expect(tasks > 0 && tasks <= 16, "threads \(tasks)")
    #expect(Self.status(agent.pid, "VmRSS:") <= 40 * 1000, "RSS \(Self.status(agent.pid, "VmRSS:")) kB")
    // The agent still answers on a fresh connection with the others open.
    let fresh = try address.connect()
    defer { close(fresh) }
    try Self.send(fresh, .requestIdentities)
    #expect(Self.reply(fresh)?.first == 12)
  }

  @Test func anExtensionNameWithANewlineAndEscapeIsLoggedAsOneEscapedLine() throws {
    let agent = try Self.start("-d")
    defer { Self.end(agent.pid, agent.dir) }
    let fd = try UnixSocketAddress(path: agent.socket).connect()
    defer { close(fd) }
    try Self.send(fd, .extension(.other(name: "evil\nforged line \u{1B}[2J", contents: [])))
    #expect(Self.reply(fd) != nil)
    var log = ""
    #expect(
      Poll.until(Poll.answer) {
        log = (try? String(contentsOfFile: agent.dir + "/err", encoding: .utf8)) ?? ""
        return log.contains("evil")
      })
    #expect(!log.contains("\u{1B}"))
    #expect(!log.split(separator: "\n").contains { $0.hasPrefix("forged line") })
    #expect(log.split(separator: "\n").contains { $0.contains("evil\\nforged line") })
  }
}
