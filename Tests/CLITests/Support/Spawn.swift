import Foundation

/// Process spawning for the agent tests without Foundation's `Process` or Dispatch: posix_spawn with files for
/// the standard streams, a clean signal mask, and waitpid. Many tests spawn at once, and blocking pipe readers on
/// Dispatch's global queue can exhaust its threads on a two-core machine; files and waitpid cannot.
enum Spawn {
  /// What a finished program left behind.
  struct Result: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Starts `path ARGS` with stdin from `stdin` bytes, stdout and stderr to files in `scratch`; returns its pid.
  static func start(
    _ path: String, _ arguments: [String], environment: [String: String], stdin: String = "",
    scratch: String, tag: String, workingDirectory: String? = nil
  ) throws -> pid_t {
    let inPath = scratch + "/\(tag).in"
    try stdin.write(toFile: inPath, atomically: true, encoding: .utf8)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, scratch + "/\(tag).out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, scratch + "/\(tag).err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
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

  /// Waits for `pid` and collects its output files.
  static func wait(_ pid: pid_t, scratch: String, tag: String) -> Result {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let out = (try? String(contentsOfFile: scratch + "/\(tag).out", encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: scratch + "/\(tag).err", encoding: .utf8)) ?? ""
    for suffix in ["in", "out", "err"] { unlink(scratch + "/\(tag).\(suffix)") }
    let exited = (status & 0x7f) == 0
    return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: out, stderr: err)
  }

  /// Runs a program to completion.
  static func run(
    _ path: String, _ arguments: [String], environment: [String: String], stdin: String = "", scratch: String,
    workingDirectory: String? = nil
  ) throws -> Result {
    let tag = "run-\(UUID().uuidString)"
    let pid = try start(
      path, arguments, environment: environment, stdin: stdin, scratch: scratch, tag: tag,
      workingDirectory: workingDirectory)
    return wait(pid, scratch: scratch, tag: tag)
  }

  /// The environment of the test process plus `extra`, without SSH_ASKPASS and SSH_AUTH_SOCK unless given.
  static func environment(_ extra: [String: String]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    for k in ["SSH_ASKPASS", "SSH_AUTH_SOCK", "SSH_AGENT_PID", "SSH_ASKPASS_REQUIRE", "DISPLAY"] { env.removeValue(forKey: k) }
    for (k, v) in extra { env[k] = v }
    return env
  }
}
