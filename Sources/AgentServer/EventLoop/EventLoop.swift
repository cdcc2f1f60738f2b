import CPeerCred
import SSHWire
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Numbers the loops of a process, so each loop's threads have a name of their own.
private let eventLoopInstances = Atomic<Int>(0)

/// Serves many agent connections with a few threads: one leader blocked in accept(2) that serves the connections it
/// accepts, and an epoll(7) set shared by a small, growing pool of threads for the connections that stay open.
///
/// The leader serves the connection it accepted: it reads, splits the input into frames (a zero or oversized
/// length closes the connection before the body is read), calls the handler for each complete frame in order —
/// one request in flight per connection — and writes the replies without blocking. Then it waits on that
/// connection, up to ``EventLoopConfiguration/lingerTimeout``, for the next request or the end, and on the
/// listening socket for a new client; a new client or the timeout hands the connection to the epoll set. A client
/// that lists the keys and closes (ssh-add, ssh's first connection) costs one wake-up: the leader wakes for its end,
/// closes it, and finds the next client already queued. A second thread waiting in accept(2) would be woken for
/// it instead, and each wake-up of a sleeping thread costs more on a virtual machine than all the system calls of
/// the connection. So the other accepting threads are followers that watch the leader and take over when it stays
/// away with one connection (a handler that blocks; ``EventLoopAcceptors``). A leader with no follower left hands
/// every connection to the epoll set at once.
///
/// A connection in the epoll set is registered with EPOLLONESHOT: the thread that receives its event owns it until
/// it re-arms it, and serves it as above, keeping what the socket does not take in the connection's output buffer
/// (EPOLLOUT until it drains). An idle connection costs a descriptor, an epoll entry and a small object; no
/// thread.
///
/// A handler may block (a confirmation prompt, a passphrase prompt, a KDF): it holds the thread that runs it, and
/// the others keep serving. When the last waiting epoll thread takes an event, a new one is started, up to
/// ``EventLoopConfiguration/maximumThreads``; above that cap, further requests wait in the kernel until a handler
/// returns. Epoll threads above ``EventLoopConfiguration/coreThreads`` exit after
/// ``EventLoopConfiguration/idleThreadTimeout`` without work.
///
/// Frames the `serialized` predicate picks (passphrase attempts: their back-off sleeps and key derivations) are
/// handled one at a time across the loop, in arrival order: a connection whose such frame finds the lane taken is
/// parked — not armed, holding no thread — and the thread that finishes the current one resumes it. So 200
/// parallel guesses hold one thread between them, and every other client keeps the rest of the pool.
///
/// Signing is the handler's work, done on the thread that read the request.
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

  /// The listening descriptor; the loop sets it blocking and accepts on it, ``stop()`` shuts it down, its owner
  /// closes it.
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
  /// Epoll threads in epoll_wait.
  private let waiting = Atomic<Int>(0)
  private let acceptors: EventLoopAcceptors
  private let stopping = Atomic<Bool>(false)

  private static var wakeToken: UInt64 { 1 }

  private struct State: ~Copyable {
    /// Every running thread of the loop, accepting and epoll threads.
    var threads = 0
    /// The epoll threads among them.
    var pool = 0
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
    // Accepting threads block in accept(2); accept4 makes each new descriptor non-blocking.
    guard keyhold_set_blocking(fd) == 0 else { throw .system(call: "fcntl", errno: errno) }
    let ep = keyhold_epoll_create()
    guard ep >= 0 else { throw .system(call: "epoll_create1", errno: errno) }
    let wake = keyhold_eventfd()
    guard wake >= 0 else {
      let e = errno
      Glibc.close(ep)
      throw .system(call: "eventfd", errno: e)
    }
    // The wake descriptor is level-triggered and never read: once signalled, every thread sees it and exits.
    guard keyhold_epoll_set(ep, wake, 1, 1, 0, 0, Self.wakeToken) == 0 else {
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
    self.acceptors = EventLoopAcceptors(
      maximumThreads: configuration.maximumAcceptingThreads,
      watchMilliseconds: Int(Self.milliseconds(configuration.takeOverAfter)))
  }

  /// Starts the accepting and core threads and returns.
  public func start() throws(EventLoopError) {
    try begin(spawning: configuration.coreThreads, callerWorks: false)
  }

  /// Serves on the calling thread (one of the core epoll threads) until ``stop()`` or until the listening socket is
  /// shut down; then the loop closes every connection.
  public func run() throws(EventLoopError) {
    try begin(spawning: configuration.coreThreads - 1, callerWorks: true)
    work()
  }

  /// Stops serving: shuts the listening socket down (which wakes the threads in accept(2), as
  /// `AgentListener.stop()` does) and wakes every other thread; the last to leave closes all connections. A thread
  /// inside a blocking handler leaves when the handler returns.
  public func stop() {
    guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
    var one: UInt64 = 1
    _ = write(wakeFD, &one, 8)
    acceptors.stop()
    _ = shutdown(listeningFD, Int32(SHUT_RDWR))
    // No thread left to notice (every start failed): close up here.
    if state.withLock({ $0.started && $0.threads == 0 }) { finish() }
  }

  /// Open connections.
  public var connectionCount: Int { state.withLock { $0.connections.count } }

  /// Threads currently running for the loop, accepting and epoll threads (0 once it has stopped).
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
      s.pool = max(0, count) + (callerWorks ? 1 : 0)
      s.threads = s.pool
      return true
    }
    guard fresh else { throw .alreadyStarted }
    var failed = false
    // The leader, and a follower when the cap allows one.
    for _ in 0..<min(2, configuration.maximumAcceptingThreads) where !spawnAcceptor() { failed = true }
    for _ in 0..<max(0, count) where !spawnEpollThread() { failed = true }
    if failed {
      stop()
      throw .thread
    }
  }

  /// Starts one epoll thread already counted in `threads` and `pool`; uncounts it when it cannot start.
  private func spawnEpollThread() -> Bool {
    let ok = PosixThread.spawn { [self] in work() }
    if !ok {
      log("cannot start an event loop thread")
      exitThread(pool: true)
    }
    return ok
  }

  /// Starts one accepting thread (the leader when there is none, else a follower) if the cap allows.
  @discardableResult
  private func spawnAcceptor() -> Bool {
    guard let (number, leader) = acceptors.register() else { return true }
    state.withLock { $0.threads += 1 }
    let ok = PosixThread.spawn { [self] in acceptorThread(number: number, leader: leader) }
    if !ok {
      log("cannot start an event loop thread")
      acceptors.unregister(asFollower: !leader)
      exitThread(pool: false)
    }
    return ok
  }

  /// An accepting thread: as the leader, accepts a connection, serves it while a follower watches (else hands it
  /// to the epoll threads), and goes back; as the follower, waits to take over (``EventLoopAcceptors``).
  private func acceptorThread(number: UInt64, leader: Bool) {
    keyhold_set_thread_name(threadNamePrefix + "a")
    var buffer = [UInt8](repeating: 0, count: configuration.readChunk)
    var leads = leader
    accepting: while !stopping.load(ordering: .acquiring) {
      if !leads {
        switch acceptors.follow(number) {
        case .stopping: break accepting
        case .promoted(let spawnFollower):
          if spawnFollower { spawnAcceptor() }
          leads = true
        }
      }
      // A blocking descriptor, for the linger's recv(2) (EventLoopConnection.serve).
      let fd = keyhold_accept_cloexec(listeningFD)
      let error = errno
      if stopping.load(ordering: .acquiring) {
        if fd >= 0 { Glibc.close(fd) }
        break
      }
      guard fd >= 0 else {
        switch error {
        case EINTR, ECONNABORTED: continue
        case EAGAIN, EWOULDBLOCK:
          // O_NONBLOCK was set on the socket again (its open file may be shared, as with systemd's): clear it,
          // and pause, so that a failure to clear it cannot spin.
          _ = keyhold_set_blocking(listeningFD)
          usleep(10_000)
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
          // Out of descriptors: the pending connection stays in the backlog; retry shortly instead of spinning.
          log("accept: \(String(cString: strerror(error)))")
          usleep(100_000)
        default:
          // The listening socket was shut down (the agent is stopping) or closed.
          stop()
          break accepting
        }
        continue
      }
      let followed = acceptors.leave(number)
      if let token = admit(fd) {
        if followed {
          serve(token: token, events: UInt32(KEYHOLD_POLL_READABLE), buffer: &buffer, accepting: number)
        } else {
          // No follower to take over should a handler block: the epoll threads serve this one.
          arm(token, read: true, write: false)
        }
      }
      if !acceptors.returnToAccept(number) {
        // A follower took over while this thread served: it follows now.
        acceptors.rejoin()
        leads = false
      }
    }
    acceptors.unregister(asFollower: !leads)
    exitThread(pool: false)
  }

  /// An epoll thread.
  private func work() {
    keyhold_set_thread_name(threadNamePrefix + "w")
    var buffer = [UInt8](repeating: 0, count: configuration.readChunk)
    var token: UInt64 = 0
    var events: UInt32 = 0
    let idleMilliseconds = Self.milliseconds(configuration.idleThreadTimeout)
    while !stopping.load(ordering: .acquiring) {
      let extra = state.withLock { $0.pool > configuration.coreThreads }
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
      if token == Self.wakeToken { continue }
      // This thread may now block in a handler: keep one thread waiting while the cap allows.
      if stillWaiting == 0 { grow() }
      serve(token: token, events: events, buffer: &buffer, accepting: nil)
    }
    exitThread(pool: true)
  }

  private static func milliseconds(_ duration: Duration) -> Int32 {
    Int32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
  }

  private func grow() {
    let counted = state.withLock { s -> Bool in
      guard s.pool < configuration.maximumThreads, !stopping.load(ordering: .relaxed) else { return false }
      s.pool += 1
      s.threads += 1
      return true
    }
    if counted { _ = spawnEpollThread() }
  }

  /// An extra epoll thread that found no work in time leaves; true when this one did.
  private func retire() -> Bool {
    state.withLock { s -> Bool in
      guard s.pool > configuration.coreThreads else { return false }
      s.pool -= 1
      s.threads -= 1
      return true
    }
  }

  private func exitThread(pool: Bool) {
    let last = state.withLock { s -> Bool in
      s.threads -= 1
      if pool { s.pool -= 1 }
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

  /// Registers a new connection with the loop (not yet with epoll: ``arm(_:read:write:)`` adds it); nil when it
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

  /// The connection behind a token: the registry keeps it alive until its owner drops it, and the owner is the
  /// only thread that touches it (EPOLLONESHOT fired, or it is not armed), so no lookup and no lock is needed.
  private func connection(_ token: UInt64) -> EventLoopConnection<Context>? {
    guard let address = UnsafeRawPointer(bitPattern: UInt(token)) else { return nil }
    return Unmanaged<EventLoopConnection<Context>>.fromOpaque(address).takeUnretainedValue()
  }

  /// Adds the connection to the epoll set, or re-arms it there; after this call it belongs to whichever thread
  /// takes its next event, and this one must not touch it again.
  private func arm(_ token: UInt64, read: Bool, write: Bool) {
    guard let connection = connection(token) else { return }
    // Marked before the call, for the same reason.
    let add: Int32 = connection.registered ? 0 : 1
    connection.registered = true
    if keyhold_epoll_set(epollFD, connection.fd, add, read ? 1 : 0, write ? 1 : 0, 1, token) != 0 {
      log("epoll_ctl: \(String(cString: strerror(errno)))")
      drop(token)
    }
  }

  /// `accepting`: the number of the accepting thread serving, which lingers (nil on an epoll thread).
  private func serve(token: UInt64, events: UInt32, buffer: inout [UInt8], accepting: UInt64?) {
    // A connection handed the lane while this thread served another one is served next, on this thread.
    var work: [(token: UInt64, events: UInt32)] = [(token, events)]
    while let item = work.popLast() {
      if let handoff = serveOne(token: item.token, events: item.events, buffer: &buffer, accepting: accepting) {
        work.append((handoff, 0))
      }
    }
  }

  /// Serves one event of one connection — and, on an accepting thread, its next requests while they come within
  /// the linger; returns a parked connection that was handed the lane meanwhile.
  private func serveOne(token: UInt64, events first: UInt32, buffer: inout [UInt8], accepting: UInt64?) -> UInt64? {
    guard let connection = connection(token) else { return nil }
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
    let lingerMilliseconds = accepting == nil ? 0 : Self.milliseconds(configuration.lingerTimeout)
    var events = first
    var waitForInput = false
    while true {
      let next = connection.serve(
        readable: events & UInt32(KEYHOLD_POLL_READABLE) != 0,
        writable: events & UInt32(KEYHOLD_POLL_WRITABLE) != 0,
        hangup: events & UInt32(KEYHOLD_POLL_HANGUP) != 0, waitForInput: waitForInput, buffer: &buffer,
        configuration: configuration, lane: lane, handler: handler)
      if stopping.load(ordering: .acquiring) { return nil }  // left for `finish`
      switch next {
      case .wait(let read, let write):
        // Wait here for the next request, or the end, once a request was answered, while nothing is unsent, no
        // parked connection waits for this thread, and the last wait brought something. A client that has not
        // asked anything yet goes to epoll at once.
        if let number = accepting, lingerMilliseconds > 0, read, !write, handoff == nil, connection.answered > 0,
          !connection.waitEndedEmpty
        {
          if acceptors.isLeader(number) {
            // The leader also wakes for a new client, and then hands this connection to epoll: accepting comes
            // first, and its wait is exact.
            waitForInput = false
            if keyhold_linger(connection.fd, listeningFD, lingerMilliseconds) == 1 {
              events = UInt32(KEYHOLD_POLL_READABLE)
              continue
            }
            if stopping.load(ordering: .acquiring) { return nil }
          } else if connection.setReceiveTimeout(milliseconds: lingerMilliseconds) {
            // A former leader, whose connection is busy: the cheaper wait, to the kernel's tick.
            waitForInput = true
            events = UInt32(KEYHOLD_POLL_READABLE)
            continue
          }
        }
        arm(token, read: read, write: write)
      case .close(let reason):
        if let reason { log(reason) }
        drop(token)
      case .parked:
        break
      }
      return handoff
    }
  }

  private func drop(_ token: UInt64) {
    guard let connection = state.withLock({ $0.connections.removeValue(forKey: token) }) else { return }
    // No EPOLL_CTL_DEL: closing the descriptor takes it out of the set (epoll(7)). Every drop happens on the
    // owning thread, while the descriptor is disarmed (EPOLLONESHOT fired, or it was never armed), so even a
    // copy of it held for a moment by a child between fork and exec can report no event.
    connection.close()
  }
}
