import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Starts test programs with posix_spawn: standard streams from and to files, a clean signal mask and default
/// signal dispositions, reaped with waitpid. Many tests spawn at once; pipes drained by threads parked on
/// Dispatch's global queue can exhaust its threads on a two-core machine, files and waitpid cannot.
public enum ChildProcess {
  /// Starts `path ARGS` with `environment`; stdin, stdout and stderr are the files at these paths (`/dev/null`
  /// works), and no other descriptor is inherited. Output files are created or truncated, mode 0600.
  public static func spawn(
    _ path: String, _ arguments: [String], environment: [String: String],
    stdin: String, stdout: String, stderr: String
  ) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // Nothing else of this process is inherited: suites run in parallel, and a long-lived child (an agent, sshd,
    // moto_server) holding another test's pipe or listening socket would keep it open after that test closed it.
    if let closeFrom = addCloseFrom { _ = closeFrom(&actions, 3) }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    return pid
  }

  /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later); Swift's Glibc module does not import it.
  private static let addCloseFrom:
    (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? =
      dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast(
          $0, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
      }

  /// Waits for `pid` and returns its exit status, or 128 + the signal that ended it.
  public static func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exited = (status & 0x7f) == 0
    return exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  }
}
