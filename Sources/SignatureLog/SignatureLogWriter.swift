#if canImport(Glibc)
  import Glibc
#endif

/// Appends records to the signature log on a thread of its own, so signing never waits for the disk.
///
/// Producers (the agent's signing path) put an item in a bounded queue under a mutex and return: an append, and a
/// wake-up only when the writer sleeps. The writer waits ``batchDelay`` after the first item so a burst becomes
/// one write(2), turns each item into a ``SignatureRecord`` with `render` (fingerprints, names and the time are
/// worked out there, off the signing path), and appends the lines in one write to a file opened with O_APPEND.
///
/// Failures never reach the producers: a full queue, a full disk or an unwritable file counts the records lost,
/// keeps the reason for ``status()`` (and `keyhold status`), removes any partial line it wrote, and tries again
/// with the next batch; the first batch written after a loss starts with a `lost` record saying how many and why.
public final class SignatureLogWriter<Item: Sendable>: @unchecked Sendable {
  /// What the writer reports (`status@keyhold`).
  public struct Status: Sendable, Equatable {
    /// Records written since the writer started.
    public var written: UInt64
    /// Records lost since the writer started (queue full, or the file could not be written).
    public var lost: UInt64
    /// Why the last write failed; nil once a write succeeded again.
    public var error: String?

    /// Creates a status.
    public init(written: UInt64, lost: UInt64, error: String?) {
      self.written = written
      self.lost = lost
      self.error = error
    }
  }

  /// The files written.
  public let files: SignatureLogFiles
  /// The most items waiting at once; beyond it items are counted lost.
  public let capacity: Int
  /// How long the writer lets a batch gather after its first item, in nanoseconds.
  public let batchDelay: Int

  private let encode: @Sendable (Item, inout [UInt8]) -> Void
  private let now: @Sendable () -> String
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let wake: UnsafeMutablePointer<pthread_cond_t>
  private let idle: UnsafeMutablePointer<pthread_cond_t>
  // Guarded by `mutex`.
  private var pending: [Item] = []
  private var writerSleeps = false
  private var busy = false
  private var stopping = false
  private var dropped = 0
  private var status = Status(written: 0, lost: 0, error: nil)
  // Writer thread only.
  private var fd: Int32 = -1
  private var unreported = 0
  private var unreportedReason: String? = nil

  /// Starts the writer thread. `render` turns an item into its record on that thread; `now` stamps `lost` records.
  public convenience init(
    files: SignatureLogFiles, capacity: Int = 16_384, batchDelay: Int = 20_000_000,
    now: @escaping @Sendable () -> String = SignatureLogWriter.timeNow,
    render: @escaping @Sendable (Item) -> SignatureRecord
  ) {
    self.init(files: files, capacity: capacity, batchDelay: batchDelay, now: now) { item, out in
      SignatureLogCodec.encode(render(item), into: &out)
    }
  }

  /// Starts the writer thread. `encode` appends an item's line (with its newline) to the batch on that thread,
  /// as ``SignatureLogCodec`` writes it, so a writer that keeps pieces between records builds no record;
  /// `now` stamps `lost` records.
  public init(
    files: SignatureLogFiles, capacity: Int = 16_384, batchDelay: Int = 20_000_000,
    now: @escaping @Sendable () -> String = SignatureLogWriter.timeNow,
    encode: @escaping @Sendable (Item, inout [UInt8]) -> Void
  ) {
    self.files = files
    self.capacity = capacity
    self.batchDelay = batchDelay
    self.encode = encode
    self.now = now
    mutex = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    wake = .allocate(capacity: 1)
    pthread_cond_init(wake, nil)
    idle = .allocate(capacity: 1)
    pthread_cond_init(idle, nil)
    pending.reserveCapacity(256)
    let started = spawnWriterThread { [self] in self.run() }
    if !started {
      pthread_mutex_lock(mutex)
      status.error = "the log writer thread could not be started"
      stopping = true
      pthread_mutex_unlock(mutex)
    }
  }

  /// The wall clock as the log writes it.
  @Sendable public static func timeNow() -> String {
    let t = SignatureLogTime.now()
    return SignatureLogTime.format(seconds: t.seconds, milliseconds: t.milliseconds)
  }

  /// Queues `item`; never blocks on the disk. False when the queue was full (the item is counted lost).
  @discardableResult
  public func append(_ item: Item) -> Bool {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    guard !stopping, pending.count < capacity else {
      dropped += 1
      status.lost += 1
      return false
    }
    pending.append(item)
    if writerSleeps {
      writerSleeps = false
      pthread_cond_signal(wake)
    }
    return true
  }

  /// The counters and the last error.
  public func currentStatus() -> Status {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return status
  }

  /// Waits until every item queued so far was written (or counted lost). For tests and orderly shutdown.
  public func drain() {
    pthread_mutex_lock(mutex)
    while !pending.isEmpty || busy {
      if writerSleeps {
        writerSleeps = false
        pthread_cond_signal(wake)
      }
      pthread_cond_wait(idle, mutex)
    }
    pthread_mutex_unlock(mutex)
  }

  /// Writes what is queued, then ends the writer thread; later items are counted lost.
  public func stop() {
    drain()
    pthread_mutex_lock(mutex)
    stopping = true
    pthread_cond_signal(wake)
    pthread_mutex_unlock(mutex)
  }

  private func run() {
    var batch: [Item] = []
    batch.reserveCapacity(256)
    var bytes: [UInt8] = []
    pthread_mutex_lock(mutex)
    while true {
      while pending.isEmpty && !stopping {
        writerSleeps = true
        pthread_cond_wait(wake, mutex)
      }
      writerSleeps = false
      if pending.isEmpty && stopping { break }
      busy = true
      pthread_mutex_unlock(mutex)
      if batchDelay > 0 {
        var ts = timespec(tv_sec: batchDelay / 1_000_000_000, tv_nsec: batchDelay % 1_000_000_000)
        var left = timespec()
        while nanosleep(&ts, &left) != 0 && errno == EINTR { ts = left }
      }
      pthread_mutex_lock(mutex)
      swap(&batch, &pending)
      let droppedNow = dropped
      dropped = 0
      pthread_mutex_unlock(mutex)

      if droppedNow > 0 {
        unreported += droppedNow
        if unreportedReason == nil { unreportedReason = "the log queue was full" }
      }
      bytes.removeAll(keepingCapacity: true)
      let reported = unreported
      if reported > 0 {
        let note = SignatureRecord(
          time: now(), event: .lost, reason: unreportedReason ?? "unknown", lost: reported)
        SignatureLogCodec.encode(note, into: &bytes)
      }
      for item in batch { encode(item, &bytes) }
      let error = write(bytes)

      pthread_mutex_lock(mutex)
      if let error {
        status.lost += UInt64(batch.count)
        status.error = error
        unreported += batch.count
        unreportedReason = error
      } else {
        status.written += UInt64(batch.count)
        status.error = nil
        unreported -= reported
        unreportedReason = nil
      }
      batch.removeAll(keepingCapacity: true)
      busy = false
      pthread_cond_broadcast(idle)
    }
    busy = false
    pthread_cond_broadcast(idle)
    pthread_mutex_unlock(mutex)
    if fd >= 0 { close(fd) }
  }

  /// Appends `bytes` to the current file, rotating first when they would take it past the limit; nil when written.
  /// A failed write is cut back to where it started, so no partial line stays in the file.
  private func write(_ bytes: [UInt8]) -> String? {
    if fd < 0 {
      let e = files.makeDirectory()
      guard e == 0 else { return "\(files.directory): \(String(cString: strerror(e)))" }
      fd = open(files.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
      guard fd >= 0 else { return "\(files.path): \(String(cString: strerror(errno)))" }
      _ = fchmod(fd, 0o600)
    }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return closing("\(files.path): \(String(cString: strerror(errno)))") }
    var size = Int(st.st_size)
    if size > 0 && size + bytes.count > files.maximumBytes {
      close(fd)
      files.rotate()
      fd = open(files.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
      guard fd >= 0 else { return "\(files.path): \(String(cString: strerror(errno)))" }
      size = 0
    }
    var sent = 0
    let failure: Int32? = bytes.withUnsafeBytes { raw in
      while sent < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + sent, raw.count - sent)
        if n > 0 {
          sent += n
        } else if n < 0 && errno == EINTR {
          continue
        } else {
          return n < 0 ? errno : ENOSPC
        }
      }
      return nil
    }
    guard let failure else { return nil }
    if sent > 0 { _ = ftruncate(fd, off_t(size)) }
    return closing("\(files.path): \(String(cString: strerror(failure)))")
  }

  private func closing(_ error: String) -> String {
    close(fd)
    fd = -1
    return error
  }
}

/// Starts a detached thread running `body` (the writer's loop).
private final class WriterThreadBody {
  let body: () -> Void
  init(_ body: @escaping () -> Void) { self.body = body }
}

private func spawnWriterThread(_ body: @escaping () -> Void) -> Bool {
  var attr = pthread_attr_t()
  pthread_attr_init(&attr)
  defer { pthread_attr_destroy(&attr) }
  pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
  pthread_attr_setstacksize(&attr, 256 * 1024)
  let box = Unmanaged.passRetained(WriterThreadBody(body)).toOpaque()
  var thread = pthread_t()
  let rc = pthread_create(
    &thread, &attr,
    { raw in
      Unmanaged<WriterThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
      return nil
    }, box)
  if rc != 0 { Unmanaged<WriterThreadBody>.fromOpaque(box).release() }
  return rc == 0
}
