#if canImport(Glibc)
  import Glibc
#endif

/// The writers' advisory lock: `flock(2)` on a lock file beside the vault (`PATH.lock`, never deleted, so that two
/// processes can never lock two different files of the same name).
///
/// The lock file is opened with `O_NOFOLLOW`: a symbolic link there is refused, so a planted link can neither
/// redirect the lock nor make keyhold create the file it points to.
enum VaultLock {
  /// Runs `body` while holding the exclusive lock on `lockPath`, waiting up to `timeout` seconds for it.
  static func withLock<T>(
    _ lockPath: String, timeout: Double, _ body: () throws(VaultError) -> T
  ) throws(VaultError) -> T {
    let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else {
      if errno == ELOOP { throw .lockFileIsSymlink(lockPath) }
      throw .io(operation: "open the lock file", path: lockPath, reason: VaultIO.errorText())
    }
    // Closing the descriptor releases the lock, also when the process is killed.
    defer { close(fd) }
    var waited = 0.0
    let step = 0.02
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else {
        throw .io(operation: "lock", path: lockPath, reason: VaultIO.errorText())
      }
      guard waited < timeout else { throw .busy(lockPath) }
      usleep(useconds_t(step * 1_000_000))
      waited += step
    }
    return try body()
  }
}
