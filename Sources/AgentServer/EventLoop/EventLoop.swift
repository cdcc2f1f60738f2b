import CPeerCred
import SSHWire
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Numbers the loops of a process, so each loop's threads have a name of their own.
private let eventLoopInstances = Atomic<Int>(0)

/// Serves many agent connections with a few threads: an epoll(7) set shared by a small, growing pool of threads.
///
/// Each thread waits in epoll_wait for one event at a time. Connection descriptors are registered with
/// EPOLLONESHOT, so the thread that receives an event owns that connection until it re-arms it: it reads, splits
/// the input into frames (a zero or oversized length closes the connection before the body is read), calls the
/// handler for each complete frame in order — one request in flight per connection — and writes the replies
/// without blocking, keeping what the socket does not take in the connection's output buffer (EPOLLOUT until it
/// drains). The thread that accepts a connection serves its first request before registering it (``acceptOne``).
/// An idle connection costs a descriptor, an epoll entry and a small object; no thread.
///
/// A handler may block (a confirmation prompt, a passphrase prompt, a KDF): it holds the thread that runs it, and
/// the others keep serving. When the last waiting thread takes an event, a new one is started, up to
/// ``EventLoopConfiguration/maximumThreads``; above that cap, further requests wait in the kernel until a handler
/// returns. Threads above ``EventLoopConfiguration/coreThreads`` exit after
/// ``EventLoopConfiguration/idleThreadTimeout`` without work.
///
/// Frames the `serialized` predicate picks (passphrase attempts: their back-off sleeps and key derivations) are
/// handled one at a time across the loop, in arrival order: a connection whose such frame finds the lane taken is
/// parked — not armed, holding no thread — and the thread that finishes the current one resumes it. So 200
/// parallel guesses hold one thread between them, and every other client keeps the rest of the pool.
///
/// Signing is the handler's work, done on the thread that read the request: a request costs one wake-up of one
/// thread, as with a thread per connection, plus an epoll_wait and an epoll_ctl.
public final class EventLoop<Context: Sendable>: Sendable {
  /// Called with the peer's credentials before a byte is read; returns the connection's context, or nil to refuse
  /// it (the connection is closed at once).
  public typealias Accept = @Sendable (PeerCredentials) -> Context?
  /// Answers one frame body with the framed reply bytes (empty for no reply).
  public typealias Handler = @Sendable (inout Context, [UInt8]) -> [UInt8]
  /// True for a frame body that must be handled one at a time across the loop.
  public typealias Serialized = @Sendable ([UInt8]) -> Bool
  /// Receives one line about a connection that was closed for a reason worth logging.
  public typealias Log = @Sendable (String) -> Void

  /// The listening descriptor; the loop sets it non-blocking and accepts on it, its owner closes it.
  public let listeningFD: Int32
  /// The loop's limits.
  public let configuration: EventLoopConfiguration
  /// The prefix of the loop's thread names (`/proc/self/task/TID/comm`), unique per loop in the process.
  public let threadNamePrefix: String

  private let epollFD: Int32
  private let wakeFD: Int32
  private let acceptConnection: Accept
  private let handler: Handler
  private let serialized: Serialized
  private let log: Log
  private let state = Mutex(State())
  private let waiting = Atomic<Int>(0)
  private let stopping = Atomic<Bool>(false)

  private static var listenerToken: UInt64 { 0 }
  private static var wakeToken: UInt64 { 1 }

  private struct State: ~Copyable {
    var threads = 0
    var started = false
    var finishing = false
    var finished = false
    var connections: [UInt64: EventLoopConnection<Context>] = [:]
    /// A serialized frame is being handled.
    var laneBusy = false
    /// Connections parked behind the lane, oldest first.
    var parked: [UInt64] = []
  }

  /// Prepares a loop over an already listening socket; ``start()`` or ``run()`` starts serving.
  public init(
    listening fd: Int32, configuration: EventLoopConfiguration = EventLoopConfiguration(),
    log: @escaping Log = { _ in }, serialized: @escaping Serialized = { _ in false }, accept: @escaping Accept,
    handler: @escaping Handler
  ) throws(EventLoopError) {
    guard keyhold_set_nonblocking(fd) == 0 else { throw .system(call: "fcntl", errno: errno) }
    let ep = keyhold_epoll_create()
    guard ep >= 0 else { throw .system(call: "epoll_create1", errno: errno) }
    let wake = keyhold_eventfd()
    guard wake >= 0 else {
      let e = errno
      Glibc.close(ep)
      throw .system(call: "eventfd", errno: e)
    }
    // The wake descriptor is level-triggered and never read: once signalled, every thread sees it and exits.
    guard keyhold_epoll_set(ep, wake, 1, 1, 0, 0, Self.wakeToken) == 0,
      keyhold_epoll_set(ep, fd, 1, 1, 0, 1, Self.listenerToken) == 0
    else {
      let e = errno
      Glibc.close(ep)
      Glibc.close(wake)
      throw .system(call: "epoll_ctl", errno: e)
    }
    self.listeningFD = fd
    self.configuration = configuration
    self.threadNamePrefix = "kh\(eventLoopInstances.add(1, ordering: .relaxed).newValue)-"
    self.epollFD = ep
    self.wakeFD = wake
    self.acceptConnection = accept
    self.handler = handler
    self.serialized = serialized
    self.log = log
  }

  /// Starts the core threads and returns.
  public func start() throws(EventLoopError) {
    try begin(spawning: configuration.coreThreads, callerWorks: false)
  }

  /// Serves on the calling thread (one of the core threads) until ``stop()`` or until the listening socket is shut
  /// down; then the loop closes every connection.
  public func run() throws(EventLoopError) {
    try begin(spawning: configuration.coreThreads - 1, callerWorks: true)
    work()
  }

  /// Stops serving: wakes every thread; the last to leave closes all connections. A thread inside a blocking
  /// handler leaves when the handler returns.
  public func stop() {
    guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
    var one: UInt64 = 1
    _ = write(wakeFD, &one, 8)
    // No thread left to notice (every start failed): close up here.
    if state.withLock({ $0.started && $0.threads == 0 }) { finish() }
  }

  /// Open connections.
  public var connectionCount: Int { state.withLock { $0.connections.count } }

  /// Threads currently running for the loop (0 once it has stopped).
  public var threadCount: Int { state.withLock { $0.threads } }

  /// True once the loop has stopped and closed its connections.
  public var isFinished: Bool { state.withLock { $0.finished } }

  deinit {
    // A loop that never started still holds its two descriptors; a started one closed them in `finish`.
    if !state.withLock({ $0.started }) {
      Glibc.close(epollFD)
      Glibc.close(wakeFD)
    }
  }

  // MARK: - Threads

  private func begin(spawning count: Int, callerWorks: Bool) throws(EventLoopError) {
    let fresh = state.withLock { s -> Bool in
      guard !s.started else { return false }
      s.started = true
      s.threads = count + (callerWorks ? 1 : 0)
      return true
    }
    guard fresh else { throw .alreadyStarted }
    var failed = false
    for _ in 0..<max(0, count) where !spawn() { failed = true }
    if failed {
      stop()
      throw .thread
    }
  }

  /// Starts one thread already counted in `threads`; uncounts it when it cannot start.
  private func spawn() -> Bool {
    let ok = PosixThread.spawn { [self] in work() }
    if !ok {
      log("cannot start an event loop thread")
      exitThread()
    }
    return ok
  }

  private func work() {
    keyhold_set_thread_name(threadNamePrefix + "w")
    var buffer = [UInt8](repeating: 0, count: configuration.readChunk)
    var token: UInt64 = 0
    var events: UInt32 = 0
    let idleMilliseconds = Int32(
      clamping: configuration.idleThreadTimeout.components.seconds * 1000
        + configuration.idleThreadTimeout.components.attoseconds / 1_000_000_000_000_000)
    while !stopping.load(ordering: .acquiring) {
      let extra = state.withLock { $0.threads > configuration.coreThreads }
      waiting.add(1, ordering: .relaxed)
      let n = keyhold_epoll_wait(epollFD, &token, &events, 1, extra ? max(1, idleMilliseconds) : Int32(-1))
      let stillWaiting = waiting.subtract(1, ordering: .relaxed).newValue
      if stopping.load(ordering: .acquiring) { break }
      if n < 0 {
        if errno == EINTR { continue }
        log("epoll_wait: \(String(cString: strerror(errno)))")
        stop()
        break
      }
      if n == 0 {
        if retire() { return }
        continue
      }
      switch token {
      case Self.listenerToken:
        // shutdown(2) of the listening socket (AgentListener.stop) shows as a hang-up, while accept4 says EAGAIN.
        if events & UInt32(KEYHOLD_POLL_HANGUP) != 0 {
          stop()
          break
        }
        // The new connection's first request is served on this thread, and a handler may block.
        if stillWaiting == 0 { grow() }
        acceptOne(buffer: &buffer)
      case Self.wakeToken: continue
      default:
        // This thread may now block in a handler: keep one thread waiting while the cap allows.
        if stillWaiting == 0 { grow() }
        serve(token: token, events: events, buffer: &buffer)
      }
    }
    exitThread()
  }

  private func grow() {
    let counted = state.withLock { s -> Bool in
      guard s.threads < configuration.maximumThreads, !stopping.load(ordering: .relaxed) else { return false }
      s.threads += 1
      return true
    }
    if counted { _ = spawn() }
  }

  /// An extra thread that found no work in time leaves; true when this one did.
  private func retire() -> Bool {
    state.withLock { s -> Bool in
      guard s.threads > configuration.coreThreads else { return false }
      s.threads -= 1
      return true
    }
  }

  private func exitThread() {
    let last = state.withLock { s -> Bool in
      s.threads -= 1
      return s.threads == 0 && stopping.load(ordering: .acquiring)
    }
    if last { finish() }
  }

  /// Runs on the last thread out, when no thread owns a connection any more.
  private func finish() {
    let first = state.withLock { s -> Bool in
      defer { s.finishing = true }
      return !s.finishing
    }
    guard first else { return }
    let open = state.withLock { s -> [EventLoopConnection<Context>] in
      let all = Array(s.connections.values)
      s.connections.removeAll()
      return all
    }
    for connection in open { connection.close() }
    Glibc.close(epollFD)
    Glibc.close(wakeFD)
    state.withLock { $0.finished = true }
  }

  // MARK: - Connections

  /// Accepts one connection, re-arms the listener, and serves the connection's first request at once.
  ///
  /// A client connects and sends its first request in the same breath (ssh asks for the key list), so by the time
  /// accept4 returns the request has usually arrived: reading it here spares the connection a registration, a
  /// re-arm and a wake-up of another thread. One connection per event, and the listener re-armed before the request
  /// is served, so a burst of clients is accepted by every waiting thread and a handler that blocks (a
  /// confirmation prompt) never holds up the next accept.
  private func acceptOne(buffer: inout [UInt8]) {
    var fd: Int32 = -1
    accepting: while true {
      fd = keyhold_accept_nonblocking(listeningFD)
      if fd >= 0 { break }
      switch errno {
      case EINTR, ECONNABORTED: continue
      case EAGAIN, EWOULDBLOCK: break accepting
      case EMFILE, ENFILE, ENOBUFS, ENOMEM:
        // Out of descriptors: the pending connection stays in the backlog; retry shortly instead of spinning.
        log("accept: \(String(cString: strerror(errno)))")
        usleep(100_000)
        break accepting
      default:
        // The listening socket was shut down (the agent is stopping) or closed.
        stop()
        return
      }
    }
    if keyhold_epoll_set(epollFD, listeningFD, 0, 1, 0, 1, Self.listenerToken) != 0 {
      log("epoll_ctl listener: \(String(cString: strerror(errno)))")
      if fd >= 0 { Glibc.close(fd) }
      stop()
      return
    }
    guard fd >= 0, let token = admit(fd) else { return }
    serve(token: token, events: UInt32(KEYHOLD_POLL_READABLE), buffer: &buffer)
  }

  /// Registers a new connection with the loop (not yet with epoll: the first ``serveOne`` adds it); nil when it
  /// was refused.
  private func admit(_ fd: Int32) -> UInt64? {
    var pid: pid_t = 0
    var uid: uid_t = 0
    var gid: gid_t = 0
    guard keyhold_peer_cred(fd, &pid, &uid, &gid) == 0 else {
      log("getpeereid failed: \(String(cString: strerror(errno)))")
      Glibc.close(fd)
      return nil
    }
    // Refused before a byte is read.
    guard let context = acceptConnection(PeerCredentials(pid: pid, uid: uid, gid: gid)) else {
      Glibc.close(fd)
      return nil
    }
    let connection = EventLoopConnection(
      fd: fd, context: context, maximumFrameLength: configuration.maximumFrameLength)
    let token = UInt64(UInt(bitPattern: Unmanaged.passUnretained(connection).toOpaque()))
    // In the registry before epoll knows it: once armed, its next event may reach another thread at once.
    state.withLock { $0.connections[token] = connection }
    return token
  }

  private func serve(token: UInt64, events: UInt32, buffer: inout [UInt8]) {
    // A connection handed the lane while this thread served another one is served next, on this thread.
    var work: [(token: UInt64, events: UInt32)] = [(token, events)]
    while let item = work.popLast() {
      if let handoff = serveOne(token: item.token, events: item.events, buffer: &buffer) {
        work.append((handoff, 0))
      }
    }
  }

  /// Serves one event of one connection; returns a parked connection that was handed the lane meanwhile.
  private func serveOne(token: UInt64, events: UInt32, buffer: inout [UInt8]) -> UInt64? {
    // The token is the connection's address: the registry keeps it alive until its owner drops it, and EPOLLONESHOT
    // makes this thread its owner, so no lookup (and no lock) is needed per request.
    guard let address = UnsafeRawPointer(bitPattern: UInt(token)) else { return nil }
    let connection = Unmanaged<EventLoopConnection<Context>>.fromOpaque(address).takeUnretainedValue()
    var handoff: UInt64?
    let lane = EventLoopConnection<Context>.Lane(
      isSerialized: serialized,
      acquire: { [self] in
        state.withLock { s in
          guard s.laneBusy else {
            s.laneBusy = true
            return true
          }
          s.parked.append(token)
          return false
        }
      },
      release: { [self] in
        handoff = state.withLock { s in
          guard !s.parked.isEmpty else {
            s.laneBusy = false
            return nil
          }
          return s.parked.removeFirst()
        }
      })
    let next = connection.serve(
      readable: events & UInt32(KEYHOLD_POLL_READABLE) != 0,
      writable: events & UInt32(KEYHOLD_POLL_WRITABLE) != 0,
      hangup: events & UInt32(KEYHOLD_POLL_HANGUP) != 0, buffer: &buffer, configuration: configuration,
      lane: lane, handler: handler)
    if stopping.load(ordering: .acquiring) { return nil }  // left for `finish`
    switch next {
    case .wait(let read, let write):
      // Marked before the call: once armed, the connection belongs to whichever thread takes its next event,
      // and this one must not touch it again.
      let add: Int32 = connection.registered ? 0 : 1
      connection.registered = true
      if keyhold_epoll_set(epollFD, connection.fd, add, read ? 1 : 0, write ? 1 : 0, 1, token) != 0 {
        log("epoll_ctl: \(String(cString: strerror(errno)))")
        drop(token)
      }
    case .close(let reason):
      if let reason { log(reason) }
      drop(token)
    case .parked:
      break
    }
    return handoff
  }

  private func drop(_ token: UInt64) {
    guard let connection = state.withLock({ $0.connections.removeValue(forKey: token) }) else { return }
    // No EPOLL_CTL_DEL: closing the descriptor takes it out of the set (epoll(7)). Every drop happens on the
    // owning thread, while the descriptor is disarmed (EPOLLONESHOT fired, or it was never armed), so even a
    // copy of it held for a moment by a child between fork and exec can report no event.
    connection.close()
  }
}
