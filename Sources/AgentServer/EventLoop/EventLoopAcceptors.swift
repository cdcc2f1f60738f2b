import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Who waits in accept(2) for an ``EventLoop``: one leader at a time, and followers that take over when the
/// leader stays away.
///
/// Each wake-up of a sleeping thread costs more than the system calls of a whole connect + list. With one thread
/// in accept(2), a client that closes its connection and opens the next one costs one wake-up: the leader wakes
/// for the end of the first, closes it, and finds the next already queued. With two threads in accept(2) the
/// second would be woken for the new connection while the first is still closing the old one. So the follower
/// does not wait in accept(2): it looks every ``watchMilliseconds`` at the leader's state, and becomes the leader
/// when it sees the leader away, with the same connection, at two looks in a row: a handler that blocks (a
/// confirmation prompt) holds up new clients for one or two such periods, no more. After ``quietLooks`` looks
/// without any connection the follower sleeps until the leader next leaves accept(2), so an idle agent does not
/// wake.
///
/// The leader's side costs two compare-and-swaps per connection and no system call.
final class EventLoopAcceptors: @unchecked Sendable {
  /// What a follower's wait ended with.
  enum Follow: Equatable {
    /// It is the leader now; `spawnFollower` when no follower is left and the cap allows another thread.
    case promoted(spawnFollower: Bool)
    /// The loop is stopping.
    case stopping
  }

  /// The most accepting threads: the leader, its followers, and former leaders still serving their connection.
  let maximumThreads: Int
  let watchMilliseconds: Int
  let quietLooks: Int

  /// Bit 0: the leader is away from accept(2), with a connection. Bits 1...16: the leader's number. Bits 17...:
  /// how many times leaders left, so two looks can tell one long absence from two short ones.
  private let role = Atomic<UInt64>(0)
  /// A follower sleeps until the leader next leaves.
  private let followerAsleep = Atomic<Bool>(false)
  private let followerCount = Atomic<Int>(0)
  private let stopped = Atomic<Bool>(false)

  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>
  // Guarded by `mutex`.
  private var threads = 0
  private var nextNumber: UInt64 = 1
  private var wakeGeneration = 0

  init(maximumThreads: Int, watchMilliseconds: Int = 10, quietLooks: Int = 100) {
    self.maximumThreads = max(1, maximumThreads)
    self.watchMilliseconds = max(1, watchMilliseconds)
    self.quietLooks = max(1, quietLooks)
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

  private static func word(count: UInt64, leader: UInt64, away: Bool) -> UInt64 {
    count << 17 | (leader & 0xffff) << 1 | (away ? 1 : 0)
  }

  private static func leader(of word: UInt64) -> UInt64 { (word >> 1) & 0xffff }

  // MARK: - Threads

  /// Counts a new accepting thread; its number, and whether it starts as the leader (the first one does). Nil when
  /// the cap is reached.
  func register() -> (number: UInt64, leader: Bool)? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    guard threads < maximumThreads else { return nil }
    threads += 1
    let number = nextNumber
    nextNumber = nextNumber % 0xffff + 1
    let leads = Self.leader(of: role.load(ordering: .acquiring)) == 0
    if leads {
      role.store(Self.word(count: 0, leader: number, away: false), ordering: .releasing)
    } else {
      followerCount.add(1, ordering: .relaxed)
    }
    return (number, leads)
  }

  /// Uncounts a thread that leaves (or that could not start); a leader that leaves gives the role up.
  func unregister(asFollower: Bool) {
    pthread_mutex_lock(mutex)
    threads -= 1
    if asFollower { followerCount.subtract(1, ordering: .relaxed) }
    pthread_mutex_unlock(mutex)
  }

  /// Wakes every follower, for good.
  func stop() {
    stopped.store(true, ordering: .releasing)
    pthread_mutex_lock(mutex)
    wakeGeneration += 1
    pthread_cond_broadcast(condition)
    pthread_mutex_unlock(mutex)
  }

  // MARK: - The leader

  /// The leader accepted a connection and leaves accept(2) to serve it. True when a follower watches, so the
  /// leader may serve it itself (a handler may block); false when it should hand it to the epoll threads at once.
  func leave(_ number: UInt64) -> Bool {
    var current = role.load(ordering: .relaxed)
    while Self.leader(of: current) == number && current & 1 == 0 {
      let away = Self.word(count: (current >> 17) &+ 1, leader: number, away: true)
      let (exchanged, original) = role.compareExchange(
        expected: current, desired: away, ordering: .sequentiallyConsistent)
      if exchanged { break }
      current = original
    }
    // Paired with the follower's store of `followerAsleep` before its last look at `role`: one of the two sees
    // the other, so a follower never sleeps through a leader that is away.
    if followerAsleep.load(ordering: .sequentiallyConsistent) {
      pthread_mutex_lock(mutex)
      followerAsleep.store(false, ordering: .sequentiallyConsistent)
      wakeGeneration += 1
      pthread_cond_broadcast(condition)
      pthread_mutex_unlock(mutex)
    }
    return followerCount.load(ordering: .relaxed) > 0
  }

  /// True while thread `number` is the leader.
  func isLeader(_ number: UInt64) -> Bool { Self.leader(of: role.load(ordering: .relaxed)) == number }

  /// The leader is done with its connection. True when it is still the leader (back to accept(2)); false when a
  /// follower took over meanwhile.
  func returnToAccept(_ number: UInt64) -> Bool {
    var current = role.load(ordering: .relaxed)
    while Self.leader(of: current) == number {
      let back = Self.word(count: current >> 17, leader: number, away: false)
      let (exchanged, original) = role.compareExchange(
        expected: current, desired: back, ordering: .sequentiallyConsistent)
      if exchanged { return true }
      current = original
    }
    return false
  }

  /// A former leader is done with its connection and follows. Threads stay (up to the cap) rather than exit and
  /// start again: a long connection served by the leader makes a take-over each time.
  func rejoin() {
    followerCount.add(1, ordering: .relaxed)
  }

  // MARK: - The follower

  /// Watches the leader until this thread takes the role over, or the loop stops.
  func follow(_ number: UInt64) -> Follow {
    var last = role.load(ordering: .acquiring)
    var quiet = 0
    while !stopped.load(ordering: .acquiring) {
      if quiet >= quietLooks {
        sleepUntilLeaderLeaves()
        quiet = 0
        last = role.load(ordering: .acquiring)
        continue
      }
      pause(milliseconds: watchMilliseconds)
      if stopped.load(ordering: .acquiring) { break }
      let now = role.load(ordering: .acquiring)
      if now == last && now & 1 == 1 {
        // Away with the same connection at two looks: take the role, unless the leader came back meanwhile.
        let mine = Self.word(count: (now >> 17) &+ 1, leader: number, away: false)
        if role.compareExchange(expected: now, desired: mine, ordering: .sequentiallyConsistent).exchanged {
          pthread_mutex_lock(mutex)
          let left = followerCount.subtract(1, ordering: .relaxed).newValue
          let spawn = left == 0 && threads < maximumThreads
          pthread_mutex_unlock(mutex)
          return .promoted(spawnFollower: spawn)
        }
      }
      quiet = now == last && now & 1 == 0 ? quiet + 1 : 0
      last = now
    }
    return .stopping
  }

  private func pause(milliseconds: Int) {
    var deadline = timespec()
    clock_gettime(CLOCK_MONOTONIC, &deadline)
    let nanoseconds = Int(deadline.tv_nsec) + milliseconds * 1_000_000
    deadline.tv_sec += nanoseconds / 1_000_000_000
    deadline.tv_nsec = nanoseconds % 1_000_000_000
    pthread_mutex_lock(mutex)
    let generation = wakeGeneration
    while generation == wakeGeneration && !stopped.load(ordering: .acquiring) {
      if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
    }
    pthread_mutex_unlock(mutex)
  }

  private func sleepUntilLeaderLeaves() {
    pthread_mutex_lock(mutex)
    followerAsleep.store(true, ordering: .sequentiallyConsistent)
    // The leader left after the last look: do not sleep.
    if role.load(ordering: .sequentiallyConsistent) & 1 == 1 {
      followerAsleep.store(false, ordering: .sequentiallyConsistent)
      pthread_mutex_unlock(mutex)
      return
    }
    let generation = wakeGeneration
    while generation == wakeGeneration && !stopped.load(ordering: .acquiring) {
      pthread_cond_wait(condition, mutex)
    }
    followerAsleep.store(false, ordering: .sequentiallyConsistent)
    pthread_mutex_unlock(mutex)
  }
}
