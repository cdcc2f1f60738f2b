import Foundation

/// Runs the built `keyhold` binary for command-line tests.
enum CLIHarness {
  /// The folder holding Package.swift.
  static let repoRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
      url = url.deletingLastPathComponent()
    }
    return url
  }()

  /// The debug binary built by `swift build --build-tests`.
  static let binary: URL = repoRoot.appendingPathComponent(".build/debug/keyhold")

  /// What a finished process left behind.
  struct Result: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutBytes: Data
  }

  /// Runs `keyhold ARGS` (or `executable` when given) with `stdin` bytes and extra environment, waiting for exit.
  /// The child runs in the test process's working directory.
  ///
  /// The child's standard streams are files, and it is reaped with waitpid: many tests spawn at once, and pipe
  /// readers parked on Dispatch's global queue can exhaust its threads on a two-core machine.
  @discardableResult
  static func run(
    _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:],
    executable: URL? = nil
  ) throws -> Result {
    let scratch = try makeTempDirectory("keyhold-run")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inPath = scratch.appendingPathComponent("in").path
    let outPath = scratch.appendingPathComponent("out").path
    let errPath = scratch.appendingPathComponent("err").path
    try stdin.write(to: URL(fileURLWithPath: inPath))
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "SSH_ASKPASS")
    for (k, v) in environment { env[k] = v }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
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
    let path = (executable ?? binary).path
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
    let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
    let exited = (status & 0x7f) == 0
    return Result(
      status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: String(decoding: out, as: UTF8.self),
      stderr: String(decoding: err, as: UTF8.self), stdoutBytes: out)
  }

  /// A fresh temporary folder, removed by the caller with `cleanup`.
  static func makeTempDirectory(_ prefix: String = "keyhold-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
