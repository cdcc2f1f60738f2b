import Foundation
import TestSupport

/// Runs the built `keyhold` binary for command-line tests.
enum CLIHarness {
  /// The folder holding Package.swift.
  static let repoRoot = Repository.root

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
    defer { TemporaryTree.remove(scratch.path) }
    let inPath = scratch.appendingPathComponent("in").path
    let outPath = scratch.appendingPathComponent("out").path
    let errPath = scratch.appendingPathComponent("err").path
    try stdin.write(to: URL(fileURLWithPath: inPath))
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "SSH_ASKPASS")
    for (k, v) in environment { env[k] = v }

    let pid = try ChildProcess.spawn(
      (executable ?? binary).path, arguments, environment: env, stdin: inPath, stdout: outPath, stderr: errPath)
    let status = ChildProcess.wait(pid)
    let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
    let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
    return Result(
      status: status, stdout: String(decoding: out, as: UTF8.self),
      stderr: String(decoding: err, as: UTF8.self), stdoutBytes: out)
  }

  /// A fresh private temporary folder (``TemporaryTree/make(_:)``), removed by the caller.
  static func makeTempDirectory(_ prefix: String = "keyhold-test") throws -> URL {
    URL(fileURLWithPath: TemporaryTree.make(prefix), isDirectory: true)
  }
}
