#if canImport(Glibc)
  import Glibc
#endif

/// Threads that serve connections and, once a connection ends, wait a while for the next one instead of exiting.
///
/// ssh opens a new agent connection for every login, so reusing a parked thread saves a thread creation (and its
/// stack set-up) per connection. At most ``maximumIdle`` threads park; each gives up after ``idleSeconds``.
final class ConnectionWorkers: @unchecked Sendable {
  typealias Job = @Sendable () -> Void

  static let maximumIdle = 4
  static let idleSeconds = 30

  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>
  // Guarded by `mutex`.
  private var jobs: [Job] = []
  private var idle = 0

  init() {
    mutex = .allocate(capacity: 1)
    condition = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    var attr = pthread_condattr_t()
    pthread_condattr_init(&attr)
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
    pthread_cond_init(condition, &attr)
    pthread_condattr_destroy(&attr)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    condition.deallocate()
  }

  /// Runs `job` on a parked thread if one is free, else on a new thread. False when no thread could be started.
  func run(_ job: @escaping Job) -> Bool {
    pthread_mutex_lock(mutex)
    if idle > jobs.count {
      jobs.append(job)
      pthread_cond_signal(condition)
      pthread_mutex_unlock(mutex)
      return true
    }
    pthread_mutex_unlock(mutex)
    return PosixThread.spawn { [self] in
      job()
      self.parkAndServe()
    }
  }

  /// After a job: wait for the next one, or exit when enough threads already wait or none comes in time.
  private func parkAndServe() {
    while true {
      pthread_mutex_lock(mutex)
      guard idle < Self.maximumIdle else {
        pthread_mutex_unlock(mutex)
        return
      }
      idle += 1
      var deadline = timespec()
      clock_gettime(CLOCK_MONOTONIC, &deadline)
      deadline.tv_sec += Self.idleSeconds
      while jobs.isEmpty {
        if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT && jobs.isEmpty {
          idle -= 1
          pthread_mutex_unlock(mutex)
          return
        }
      }
      let job = jobs.removeFirst()
      idle -= 1
      pthread_mutex_unlock(mutex)
      job()
    }
  }
}
