import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The host books as a long-running process (the agent) uses them: the index of both files kept in memory and
/// followed as other processes change them, and learned records written in the background.
///
/// Following: ``snapshot()`` looks at the files at most once per check interval (a coarse clock read in between),
/// or, with no interval, at every call and after any look already under way, so a change another process made
/// before the call is always seen (the agent's way: ARCHITECTURE.md, Agent). A look re-reads a file whose stat(2)
/// stamp changed and bumps the generation only when the host key → keys mapping changed. A file that cannot be
/// read keeps its last good records and is reported once, until it reads again. Missing files are empty books,
/// picked up when they appear.
///
/// Recording: ``enqueue(_:)`` never blocks. Records wait in a bounded queue (beyond ``queueLimit`` they are dropped
/// and counted) for one writer thread, which merges whatever has gathered into the learned file in one locked
/// write (``HostBook/record(_:)``) and then re-reads the index, so the next snapshot already has the new facts. A
/// failed write is counted and reported once, until a write succeeds.
public final class LiveHostBook: Sendable {
  /// The index as of the last look at the files.
  public struct Snapshot: Sendable, Equatable {
    /// Changes exactly when ``keysByHost`` changes.
    public var generation: UInt64
    /// Host key fingerprint → fingerprints of the keys known to open it (``HostBook/index(learned:instances:)``).
    public var keysByHost: [String: Set<String>]

    /// A snapshot.
    public init(generation: UInt64, keysByHost: [String: Set<String>]) {
      self.generation = generation
      self.keysByHost = keysByHost
    }
  }

  /// The books followed and written.
  public let book: HostBook
  /// How many records may wait for the writer; more are dropped.
  public let queueLimit: Int
  private let checkInterval: UInt64
  private let now: @Sendable () -> UInt64
  private let report: @Sendable (String) -> Void
  private let state: Mutex<FollowState>
  /// Serialises looks at the files, so concurrent requests read one change once.
  private let rereadGate = Mutex<Void>(())
  /// Monotonic nanoseconds of the last look at the files (0: never).
  private let lastCheck = Atomic<UInt64>(0)
  private let queue: Mutex<QueueState>
  private let wake = DispatchSemaphore(value: 0)

  /// Follows and writes the books of `book`. `checkInterval` is in nanoseconds of `now`, a monotonic clock
  /// (default: CLOCK_MONOTONIC_COARSE); `report` receives one line per new problem (unescaped: the caller's log
  /// escapes); `startWriter: false` leaves records queued until ``drainQueue()`` (tests). The writer thread starts
  /// with the first queued record.
  public init(
    book: HostBook, checkInterval: UInt64 = 100_000_000, queueLimit: Int = 1024,
    now: @escaping @Sendable () -> UInt64 = LiveHostBook.coarseMonotonic,
    report: @escaping @Sendable (String) -> Void = { _ in }, startWriter: Bool = true
  ) {
    self.book = book
    self.checkInterval = checkInterval
    self.queueLimit = queueLimit
    self.now = now
    self.report = report
    state = Mutex(FollowState())
    queue = Mutex(QueueState())
    refresh()
    lastCheck.store(max(now(), 1), ordering: .relaxed)
    queue.withLock { $0.writerWanted = startWriter }
  }

  /// Starts the writer thread; called with the first record, so an agent that never learns has no extra thread.
  private func startWriterThread() {
    let thread = Thread { [weak self] in
      while let self, self.writerStep() {}
    }
    thread.name = "keyhold-hosts"
    thread.stackSize = 512 * 1024
    thread.start()
  }

  /// CLOCK_MONOTONIC_COARSE in nanoseconds: tens of nanoseconds to read, ticks every few milliseconds.
  @Sendable public static func coarseMonotonic() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
  }

  // MARK: - Following

  /// The current index; looks at the files when the check interval has passed since the last look, or every
  /// time when there is no interval.
  public func snapshot() -> Snapshot {
    if checkInterval == 0 {
      // Exact: a look under way (the writer's) may have stamped a file before the change this call must see, so
      // wait for it and look again. A look that finds no stamp changed costs two stat(2) calls.
      refresh()
      return state.withLock { $0.snapshot }
    }
    let t = now()
    let last = lastCheck.load(ordering: .relaxed)
    if last == 0 || t &- last >= checkInterval {
      lastCheck.store(t == 0 ? 1 : t, ordering: .relaxed)
      // A look already under way (the writer's, another listing's) will install what it finds; don't wait for it.
      _ = rereadGate.withLockIfAvailable { _ in look() }
    }
    return state.withLock { $0.snapshot }
  }

  /// Looks at both files now, whatever the interval, and re-reads those that changed. Reading and indexing happen
  /// outside the lock snapshots take, so a listing never waits for a parse.
  public func refresh() {
    rereadGate.withLock { _ in look() }
  }

  /// One look at the files; the caller holds ``rereadGate``.
  private func look() {
    let learnedStamp = FileStamp(path: book.learnedPath)
    let instancesStamp = FileStamp(path: book.instancesPath)
    // Only this gate's holder changes the records, so they can be read here and installed below.
    var s = state.withLock { $0 }
    var lines: [String] = []
    var changed = false
    if learnedStamp.differs(from: s.learnedStamp) {
      switch Result(catching: { () throws(HostBookError) in try book.learned() }) {
      case .success(let records):
        (s.learned, s.learnedProblem, s.learnedStamp) = (records, false, learnedStamp)
        changed = true
      case .failure(let error):
        if !s.learnedProblem { lines.append("hosts file unreadable, keeping what was read before: \(error)") }
        s.learnedProblem = true
        s.learnedStamp = error.isContent ? learnedStamp : .unknown
      }
    }
    if instancesStamp.differs(from: s.instancesStamp) {
      switch Result(catching: { () throws(HostBookError) in try book.instances() }) {
      case .success(let records):
        (s.instances, s.instancesProblem, s.instancesStamp) = (records, false, instancesStamp)
        changed = true
      case .failure(let error):
        if !s.instancesProblem {
          lines.append("instances file unreadable, keeping what was read before: \(error)")
        }
        s.instancesProblem = true
        s.instancesStamp = error.isContent ? instancesStamp : .unknown
      }
    }
    if changed {
      let mapping = HostBook.index(learned: s.learned, instances: s.instances)
      if mapping != s.snapshot.keysByHost {
        s.snapshot = Snapshot(generation: s.snapshot.generation &+ 1, keysByHost: mapping)
      }
    }
    let updated = s
    state.withLock { $0 = updated }
    for line in lines { report(line) }
  }

  // MARK: - Recording

  /// Counters of what did not reach the file.
  public struct Losses: Sendable, Equatable {
    /// Records dropped because the queue was full.
    public var dropped: Int
    /// Records whose write failed.
    public var failed: Int

    /// Counters.
    public init(dropped: Int, failed: Int) {
      self.dropped = dropped
      self.failed = failed
    }
  }

  /// What was dropped or failed so far.
  public var losses: Losses { queue.withLock { Losses(dropped: $0.dropped, failed: $0.failed) } }

  /// Queues one learned record for the writer; returns at once. False when the queue was full and it was dropped.
  @discardableResult
  public func enqueue(_ record: LearnedHost) -> Bool {
    let (queued, firstDrop, start) = queue.withLock { q -> (Bool, Bool, Bool) in
      guard q.pending.count < queueLimit else {
        q.dropped += 1
        defer { q.dropReported = true }
        return (false, !q.dropReported, false)
      }
      q.pending.append(record)
      let start = q.writerWanted && !q.writerStarted
      if start { q.writerStarted = true }
      return (true, false, start)
    }
    if start { startWriterThread() }
    if queued {
      wake.signal()
    } else if firstDrop {
      report("hosts: \(queueLimit) records already wait for the hosts file; dropping further ones")
    }
    return queued
  }

  /// Writes every queued record now, on the calling thread (the writer thread does this by itself).
  public func drainQueue() {
    let batch = queue.withLock { q -> [LearnedHost] in
      let b = q.pending
      q.pending.removeAll(keepingCapacity: true)
      q.writing += b.isEmpty ? 0 : 1
      return b
    }
    guard !batch.isEmpty else { return }
    var problem: String? = nil
    do { try book.record(batch) } catch { problem = "\(error)" }
    if problem == nil { refresh() }
    let first = queue.withLock { q -> Bool in
      q.writing -= 1
      guard problem != nil else {
        q.writeReported = false
        return false
      }
      q.failed += batch.count
      defer { q.writeReported = true }
      return !q.writeReported
    }
    if first, let problem { report("hosts file not written (signing goes on): \(problem)") }
  }

  /// Waits until nothing is queued or being written, at most `seconds`; true when everything was written (or
  /// failed). For a clean exit and for tests.
  @discardableResult
  public func flush(seconds: Double) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int64(seconds * 1000))
    while true {
      let idle = queue.withLock { $0.pending.isEmpty && $0.writing == 0 }
      if idle { return true }
      if clock.now >= deadline { return false }
      usleep(2_000)
    }
  }

  /// Ends the writer thread once the queue is empty (records queued later are written by ``drainQueue()`` only).
  public func stopWriter() {
    queue.withLock { $0.stopping = true }
    wake.signal()
  }

  /// One turn of the writer thread: wait for a record, write what has gathered. False once stopped and drained.
  private func writerStep() -> Bool {
    wake.wait()
    drainQueue()
    return queue.withLock { !($0.stopping && $0.pending.isEmpty) }
  }

  // MARK: - State

  private struct FollowState {
    var learnedStamp = FileStamp.unknown
    var instancesStamp = FileStamp.unknown
    var learned: [LearnedHost] = []
    var instances: [CloudInstance] = []
    /// Whether the last read failed (reported once, until a read succeeds).
    var learnedProblem = false
    var instancesProblem = false
    var snapshot = Snapshot(generation: 0, keysByHost: [:])
  }

  private struct QueueState {
    var pending: [LearnedHost] = []
    var writing = 0
    var dropped = 0
    var failed = 0
    var dropReported = false
    var writeReported = false
    var stopping = false
    var writerWanted = false
    var writerStarted = false
  }
}

/// What stat(2) says about a file, enough to see that it was replaced or changed: every write of a host file is a
/// rename of a new file (a new inode, a new modification time).
enum FileStamp: Equatable {
  /// Not looked at yet, or the last read failed for a reason other than its content.
  case unknown
  /// No such file.
  case absent
  /// A file with this identity, size and modification time.
  case present(device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int)

  init(path: String) {
    var st = stat()
    guard stat(path, &st) == 0 else {
      self = errno == ENOENT || errno == ENOTDIR ? .absent : .unknown
      return
    }
    self = .present(
      device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size), seconds: st.st_mtim.tv_sec,
      nanoseconds: st.st_mtim.tv_nsec)
  }

  /// Whether a file with this stamp must be read, given the stamp of the last good (or bad-content) read.
  func differs(from remembered: FileStamp) -> Bool { self == .unknown || remembered == .unknown || self != remembered }
}

extension HostBookError {
  /// A problem with what the file says (read again only when it changes), not with reading it.
  var isContent: Bool {
    switch self {
    case .malformed, .unsupportedVersion, .tooLarge: return true
    case .io: return false
    }
  }
}
