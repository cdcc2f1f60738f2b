import AgentServer
import Foundation
import SSHWire
import Synchronization
import TestSupport
import Testing

/// The event loop over real Unix sockets with a trivial handler: each frame is answered with a frame holding the
/// same body.
@Suite struct EventLoopTests {
  @Test func manyConnectionsAreEachAnsweredInOrder() throws {
    let server = try EchoServer()
    let clients = try (0..<50).map { _ in try server.connect() }
    for (i, c) in clients.enumerated() {
      // Three requests in one write: answered one at a time, in order.
      let frames = (0..<3).flatMap { j in AgentFrame.frame([UInt8(i), UInt8(j)]) }
      #expect(sendAll(c, frames))
    }
    for (i, c) in clients.enumerated() {
      for j in 0..<3 { #expect(readFrame(c) == [UInt8(i), UInt8(j)]) }
    }
    for c in clients { close(c) }
  }

  /// The accepting thread serves a connection's requests while they come in quick succession and only then adds
  /// it to epoll, where the next event may reach another thread at once; the follower takes over accepting while
  /// the leader is away too long. Many short connections from parallel clients, each asking three times, keep
  /// those hand-overs busy: every reply must come, and no connection may be closed under its client.
  @Test func freshConnectionsFromParallelClientsAreAnsweredEveryTime() throws {
    let server = try EchoServer()
    let failures = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 4) { client in
      for i in 0..<2500 {
        guard let c = try? server.connect() else {
          failures.add(1, ordering: .relaxed)
          continue
        }
        defer { close(c) }
        for j in 0..<3 {
          let body = [UInt8(client), UInt8(i % 256), UInt8(j)]
          if !sendAll(c, AgentFrame.frame(body)) || readFrame(c) != body { failures.add(1, ordering: .relaxed) }
        }
      }
    }
    #expect(failures.load(ordering: .relaxed) == 0)
  }

  /// A client that connects and waits before its first request: the accepting thread finds nothing to read and
  /// leaves the connection to epoll.
  @Test func connectionWhoseFirstRequestComesLaterIsServed() throws {
    let server = try EchoServer()
    let c = try server.connect()
    defer { close(c) }
    #expect(Poll.until(.seconds(60)) { server.loop.connectionCount == 1 })
    #expect(sendAll(c, AgentFrame.frame([5])))
    #expect(readFrame(c) == [5])
  }

  @Test func twoThousandIdleConnectionsHoldAtMostSixteenThreads() throws {
    raiseDescriptorLimit()
    let server = try EchoServer()
    let idle = try (0..<2000).map { _ in try server.connect() }
    defer { for fd in idle { close(fd) } }
    #expect(Poll.until(.seconds(60)) { server.loop.connectionCount == 2000 })
    let threads = threadsNamed(server.loop.threadNamePrefix)
    #expect(threads > 0 && threads <= 16)
    #expect(server.loop.threadCount <= 16)
    // Still serving.
    let c = try server.connect()
    defer { close(c) }
    #expect(sendAll(c, AgentFrame.frame([42])))
    #expect(readFrame(c) == [42])
  }

  @Test func clientThatNeverReadsDoesNotDelayAnother() throws {
    let big = [UInt8](repeating: 7, count: 60 * 1024)
    let server = try EchoServer { body in body == [1] ? big : body }
    let silent = try server.connect()
    defer { close(silent) }
    // Far more replies than the socket and the pause threshold hold; its writes stop once the loop stops reading.
    let request = AgentFrame.frame([1])
    for _ in 0..<400 { _ = send(silent, request, request.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)) }
    let other = try server.connect()
    defer { close(other) }
    for i in 0..<20 {
      #expect(sendAll(other, AgentFrame.frame([2, UInt8(i)])))
      #expect(readFrame(other) == [2, UInt8(i)])
    }
    #expect(server.loop.connectionCount == 2)  // paused, not closed
  }

  @Test func replyAboveTheOutputLimitClosesTheNonReadingConnection() throws {
    let huge = [UInt8](repeating: 9, count: 4 * 1024 * 1024)
    let configuration = EventLoopConfiguration(outputPauseThreshold: 16 * 1024, outputLimit: 256 * 1024)
    let server = try EchoServer(configuration: configuration) { body in body == [1] ? huge : body }
    let silent = try server.connect()
    defer { close(silent) }
    let other = try server.connect()
    defer { close(other) }
    #expect(sendAll(silent, AgentFrame.frame([1])))
    #expect(Poll.until(.seconds(60)) { server.loop.connectionCount == 1 })
    #expect(sendAll(other, AgentFrame.frame([3])))
    #expect(readFrame(other) == [3])
  }

  @Test func halfSentFrameDoesNotBlockAnotherClient() throws {
    let server = try EchoServer()
    let slow = try server.connect()
    defer { close(slow) }
    let frame = AgentFrame.frame([5, 6, 7, 8])
    #expect(sendAll(slow, Array(frame[0..<6])))
    let other = try server.connect()
    defer { close(other) }
    #expect(sendAll(other, AgentFrame.frame([9])))
    #expect(readFrame(other) == [9])
    #expect(sendAll(slow, Array(frame[6...])))
    #expect(readFrame(slow) == [5, 6, 7, 8])
  }

  @Test func blockingHandlerOnOneConnectionDoesNotBlockAnother() throws {
    let gate = Gate()
    let server = try EchoServer { body in
      if body == [0xbb] { gate.wait() }
      return body
    }
    let blocked = try server.connect()
    defer { close(blocked) }
    #expect(sendAll(blocked, AgentFrame.frame([0xbb])))
    #expect(Poll.until(.seconds(60)) { gate.waiters == 1 })
    let other = try server.connect()
    defer { close(other) }
    #expect(sendAll(other, AgentFrame.frame([1])))
    #expect(readFrame(other) == [1])
    gate.open()
    #expect(readFrame(blocked) == [0xbb])
  }

  /// With one accepting thread there is no follower to take over, so every connection goes to the epoll threads.
  @Test func burstOfBlockingRequestsGrowsThePoolToItsCapThenShrinksBack() throws {
    let gate = Gate()
    let configuration = EventLoopConfiguration(
      maximumAcceptingThreads: 1, coreThreads: 2, maximumThreads: 5, idleThreadTimeout: .milliseconds(100))
    let server = try EchoServer(configuration: configuration) { body in
      if body == [0xbb] { gate.wait() }
      return body
    }
    let prompts = try (0..<7).map { _ in try server.connect() }
    defer { for fd in prompts { close(fd) } }
    for c in prompts { #expect(sendAll(c, AgentFrame.frame([0xbb]))) }
    // Each blocking request holds an epoll thread up to the cap; the rest wait in the kernel.
    #expect(Poll.until(.seconds(60)) { gate.waiters == 5 })
    #expect(server.loop.threadCount == 5 + 1)
    #expect(threadsNamed(server.loop.threadNamePrefix) <= 5 + 1)
    gate.open()
    for c in prompts { #expect(readFrame(c) == [0xbb]) }
    #expect(Poll.until(.seconds(60)) { server.loop.threadCount == 2 + 1 })
  }

  /// The leader blocks in the first request it serves; the follower takes accepting over and a new follower
  /// starts, up to three accepting threads. Then the leader has no follower and hands every connection to the
  /// epoll threads, which grow to their cap. Once the handlers return, the former leaders follow and the epoll
  /// threads shrink back.
  @Test func blockingHandlersOnTheAcceptingThreadsAreTakenOverUpToTheirCap() throws {
    let gate = Gate()
    let configuration = EventLoopConfiguration(
      maximumAcceptingThreads: 3, coreThreads: 2, maximumThreads: 5, idleThreadTimeout: .milliseconds(100))
    let server = try EchoServer(configuration: configuration) { body in
      if body == [0xbb] { gate.wait() }
      return body
    }
    var prompts: [Int32] = []
    defer { for fd in prompts { close(fd) } }
    // One at a time, so that each of the first two is the leader's before the next arrives.
    for expected in 1...2 {
      let c = try server.connect()
      prompts.append(c)
      #expect(sendAll(c, AgentFrame.frame([0xbb])))
      #expect(Poll.until(.seconds(60)) { gate.waiters == expected })
    }
    for _ in 0..<6 {
      let c = try server.connect()
      prompts.append(c)
      #expect(sendAll(c, AgentFrame.frame([0xbb])))
    }
    #expect(Poll.until(.seconds(60)) { gate.waiters == 2 + 5 })
    #expect(server.loop.threadCount == 3 + 5)
    // Accepting still works: a connection that asks nothing is taken and kept.
    let idle = try server.connect()
    defer { close(idle) }
    #expect(Poll.until(.seconds(60)) { server.loop.connectionCount == 9 })
    gate.open()
    for c in prompts { #expect(readFrame(c) == [0xbb]) }
    #expect(Poll.until(.seconds(60)) { server.loop.threadCount == 3 + 2 })
  }

  /// After the last client the follower stops looking at the leader: an idle loop's threads do not run.
  @Test func idleLoopThreadsStopWaking() throws {
    let server = try EchoServer()
    for i in 0..<50 {
      let c = try server.connect()
      #expect(sendAll(c, AgentFrame.frame([UInt8(i)])))
      #expect(readFrame(c) == [UInt8(i)])
      close(c)
    }
    let prefix = server.loop.threadNamePrefix
    // Timeslices of the loop's threads (schedstat's third field) stay the same over half a second.
    #expect(
      Poll.until(.seconds(60)) {
        let before = timeslices(prefix)
        usleep(500_000)
        return timeslices(prefix) == before
      })
  }

  @Test(arguments: [[0, 4, 0, 1] as [UInt8], [0, 0, 0, 0]])
  func badFrameLengthClosesTheConnectionBeforeItsBody(header: [UInt8]) throws {
    let calls = Atomic<Int>(0)
    let server = try EchoServer { body in
      calls.add(1, ordering: .relaxed)
      return body
    }
    let c = try server.connect()
    defer { close(c) }
    #expect(sendAll(c, header))
    #expect(peerClosed(c))
    #expect(calls.load(ordering: .relaxed) == 0)
  }

  @Test func refusedPeerIsClosedWithoutARead() throws {
    let seen = Mutex<PeerCredentials?>(nil)
    let calls = Atomic<Int>(0)
    let server = try EchoServer(
      reply: { body in
        calls.add(1, ordering: .relaxed)
        return body
      },
      accept: { peer in
        seen.withLock { $0 = peer }
        return nil
      })
    let c = try server.connect()
    defer { close(c) }
    _ = sendAll(c, AgentFrame.frame([11]))
    #expect(peerClosed(c))
    #expect(calls.load(ordering: .relaxed) == 0)
    #expect(seen.withLock { $0 } == PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid()))
  }

  @Test func requestFollowedByEndOfFileIsAnsweredThenClosed() throws {
    let server = try EchoServer()
    let c = try server.connect()
    defer { close(c) }
    #expect(sendAll(c, AgentFrame.frame([4, 2])))
    shutdown(c, Int32(SHUT_WR))
    #expect(readFrame(c) == [4, 2])
    #expect(peerClosed(c))
  }

  @Test func contextIsKeptPerConnection() throws {
    let server = try CountingServer()
    let a = try server.connect()
    let b = try server.connect()
    defer {
      close(a)
      close(b)
    }
    for _ in 0..<3 {
      #expect(sendAll(a, AgentFrame.frame([0])))
      _ = readFrame(a)
    }
    #expect(sendAll(b, AgentFrame.frame([0])))
    #expect(readFrame(b) == [1])
    #expect(sendAll(a, AgentFrame.frame([0])))
    #expect(readFrame(a) == [4])
  }

  @Test func shuttingDownTheListeningSocketStopsTheLoop() throws {
    let server = try EchoServer()
    let c = try server.connect()
    defer { close(c) }
    #expect(Poll.until(.seconds(60)) { server.loop.connectionCount == 1 })
    // What AgentListener.stop() does to wake its accept loop.
    shutdown(server.fd, Int32(SHUT_RDWR))
    #expect(peerClosed(c))
    #expect(Poll.until(.seconds(60)) { server.loop.isFinished })
  }

  @Test func stopClosesEveryConnectionAndEndsTheThreads() throws {
    let server = try EchoServer()
    let c = try server.connect()
    defer { close(c) }
    #expect(Poll.until(.seconds(60)) { server.loop.connectionCount == 1 })
    server.loop.stop()
    #expect(peerClosed(c))
    #expect(Poll.until(.seconds(60)) { server.loop.isFinished && server.loop.threadCount == 0 })
  }
}

// MARK: - Support

/// A listening socket in a fresh folder served by an event loop.
final class EchoServer: @unchecked Sendable {
  let directory: String
  let path: String
  let fd: Int32
  let loop: EventLoop<Int>

  init(
    configuration: EventLoopConfiguration = EventLoopConfiguration(),
    reply: @escaping @Sendable ([UInt8]) -> [UInt8] = { $0 },
    accept: @escaping @Sendable (PeerCredentials) -> Int? = { _ in 0 }
  ) throws {
    (directory, path, fd) = try listeningSocket()
    loop = try EventLoop(listening: fd, configuration: configuration, accept: accept) { _, body in
      AgentFrame.frame(reply(body))
    }
    try loop.start()
  }

  func connect() throws -> Int32 { try connectUnix(path) }

  deinit {
    loop.stop()
    close(fd)
    TemporaryTree.remove(directory)
  }
}

/// Answers each frame with the number of frames this connection has sent so far (its context).
final class CountingServer: @unchecked Sendable {
  let directory: String
  let path: String
  let fd: Int32
  let loop: EventLoop<Int>

  init() throws {
    (directory, path, fd) = try listeningSocket()
    loop = try EventLoop(
      listening: fd, accept: { _ in 0 },
      handler: { count, _ in
        count += 1
        return AgentFrame.frame([UInt8(count)])
      })
    try loop.start()
  }

  func connect() throws -> Int32 { try connectUnix(path) }

  deinit {
    loop.stop()
    close(fd)
    TemporaryTree.remove(directory)
  }
}

/// A handler that blocks until the test opens the gate, as a confirmation prompt does until it is answered.
final class Gate: @unchecked Sendable {
  private let state = Mutex<(open: Bool, waiters: Int)>((false, 0))
  var waiters: Int { state.withLock { $0.waiters } }
  func wait() {
    state.withLock { $0.waiters += 1 }
    _ = Poll.until(.seconds(120)) { state.withLock { $0.open } }
    state.withLock { $0.waiters -= 1 }
  }
  func open() { state.withLock { $0.open = true } }
}

struct SocketError: Error { let call: String, errno: Int32 }

func listeningSocket() throws -> (String, String, Int32) {
  let directory = TemporaryTree.make("keyhold-ev")
  let path = directory + "/s"
  let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
  var address = unixAddress(path)
  let rc = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
  }
  guard rc == 0, listen(fd, 4096) == 0 else { throw SocketError(call: "bind", errno: errno) }
  return (directory, path, fd)
}

func unixAddress(_ path: String) -> sockaddr_un {
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  let bytes = Array(path.utf8)
  withUnsafeMutableBytes(of: &address.sun_path) { raw in
    raw.copyBytes(from: bytes)
    raw[bytes.count] = 0
  }
  return address
}

func connectUnix(_ path: String) throws -> Int32 {
  let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
  var address = unixAddress(path)
  let rc = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
  }
  guard rc == 0 else {
    let e = errno
    close(fd)
    throw SocketError(call: "connect", errno: e)
  }
  var tv = timeval(tv_sec: 60, tv_usec: 0)  // an answer on a loaded machine; only a failing test waits it out
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
  return fd
}

func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
  var offset = 0
  while offset < bytes.count {
    let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { return false }
    offset += n
  }
  return true
}

func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
  var out = [UInt8](repeating: 0, count: count)
  var got = 0
  while got < count {
    let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { return nil }
    got += n
  }
  return out
}

/// One reply frame's body, nil on EOF or error.
func readFrame(_ fd: Int32) -> [UInt8]? {
  guard let header = readExactly(fd, 4) else { return nil }
  let length = header.reduce(0) { ($0 << 8) | Int($1) }
  return readExactly(fd, length)
}

/// True when the peer closed the connection (EOF or reset) before sending anything.
func peerClosed(_ fd: Int32) -> Bool {
  var byte: UInt8 = 0
  let n = read(fd, &byte, 1)
  return n == 0 || (n < 0 && errno == ECONNRESET)
}

/// Threads of this process whose name starts with `prefix` (/proc/self/task/TID/comm).
func threadsNamed(_ prefix: String) -> Int {
  let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
  return tasks.filter { tid in
    let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
    return comm.hasPrefix(prefix)
  }.count
}

/// The timeslices run so far by each thread of this process whose name starts with `prefix`, by thread.
func timeslices(_ prefix: String) -> [String: Int] {
  let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
  var out: [String: Int] = [:]
  for tid in tasks {
    let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
    guard comm.hasPrefix(prefix),
      let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/schedstat", encoding: .utf8),
      let slices = stat.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
    else { continue }
    out[tid] = slices
  }
  return out
}

/// 2,000 connections need 4,000 descriptors in this process: raise the soft limit to the hard one.
func raiseDescriptorLimit() {
  var limit = rlimit()
  getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
  limit.rlim_cur = limit.rlim_max
  setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Polls `condition` with the generous timeouts of a loaded machine.
enum Poll {
  static func until(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
      if condition() { return true }
      usleep(5_000)
    }
    return condition()
  }
}
