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
  @discardableResult
  static func run(
    _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:],
    executable: URL? = nil, workingDirectory: URL? = nil
  ) throws -> Result {
    let p = Process()
    p.executableURL = executable ?? binary
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "SSH_ASKPASS")
    for (k, v) in environment { env[k] = v }
    p.environment = env
    if let workingDirectory { p.currentDirectoryURL = workingDirectory }
    let inPipe = Pipe()
    let outPipe = Pipe()
    let errPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    p.standardError = errPipe
    try p.run()
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    let outBox = DataBox()
    let errBox = DataBox()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { outBox.set(outPipe.fileHandleForReading.readDataToEndOfFile()) }
    DispatchQueue.global().async(group: group) { errBox.set(errPipe.fileHandleForReading.readDataToEndOfFile()) }
    if !stdin.isEmpty { try? inPipe.fileHandleForWriting.write(contentsOf: stdin) }
    try? inPipe.fileHandleForWriting.close()
    p.waitUntilExit()
    group.wait()
    return Result(
      status: p.terminationStatus, stdout: String(decoding: outBox.get(), as: UTF8.self),
      stderr: String(decoding: errBox.get(), as: UTF8.self), stdoutBytes: outBox.get())
  }

  /// A fresh temporary folder, removed by the caller with `cleanup`.
  static func makeTempDirectory(_ prefix: String = "keyhold-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

/// A lock-protected Data cell for collecting pipe output from another thread.
final class DataBox: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  func set(_ d: Data) { lock.withLock { data = d } }
  func get() -> Data { lock.withLock { data } }
}
