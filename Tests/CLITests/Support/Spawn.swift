import Foundation
import TestSupport

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
    return try ChildProcess.spawn(
      path, arguments, environment: environment, stdin: inPath, stdout: scratch + "/\(tag).out",
      stderr: scratch + "/\(tag).err")
  }

  /// Waits for `pid` and collects its output files.
  static func wait(_ pid: pid_t, scratch: String, tag: String) -> Result {
    let status = ChildProcess.wait(pid)
    let out = (try? String(contentsOfFile: scratch + "/\(tag).out", encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: scratch + "/\(tag).err", encoding: .utf8)) ?? ""
    for suffix in ["in", "out", "err"] { unlink(scratch + "/\(tag).\(suffix)") }
    return Result(status: status, stdout: out, stderr: err)
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
    for k in ["SSH_ASKPASS", "SSH_AUTH_SOCK", "SSH_AGENT_PID", "SSH_ASKPASS_REQUIRE", "DISPLAY"] {
      env.removeValue(forKey: k)
    }
    for (k, v) in extra { env[k] = v }
    return env
  }

  /// Writes an executable script through a close-on-exec descriptor: a program forked meanwhile by another test
  /// must not inherit it open for writing, or executing the script fails with ETXTBSY.
  static func writeScript(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    let bytes = Array(text.utf8)
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
    close(fd)
    guard n == bytes.count else { throw POSIXError(.EIO) }
  }
}
