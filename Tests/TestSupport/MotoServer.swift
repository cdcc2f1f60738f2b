import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A throwaway `moto_server` on a free loopback port, for tests that need a real EC2 Query endpoint.
///
/// `start` picks a free port, launches `moto_server -H 127.0.0.1 -p PORT` with the given extra environment, and
/// waits until the port accepts connections; `stop` (also run on deinit) kills it and reaps it.
public final class MotoServer: @unchecked Sendable {
  public let port: Int
  public let process: Process
  private let lock = NSLock()
  private var stopped = false

  /// `http://127.0.0.1:PORT`.
  public var url: String { "http://127.0.0.1:\(port)" }

  /// Whether `moto_server` is on PATH.
  public static var isInstalled: Bool { findExecutable("moto_server") != nil }

  public static func findExecutable(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
      let path = "\(dir)/\(name)"
      if access(path, X_OK) == 0 { return path }
    }
    return nil
  }

  /// Starts a server and waits (up to `wait` seconds) until it listens.
  public init(environment: [String: String] = [:], wait: Double = 30) throws {
    guard let exe = MotoServer.findExecutable("moto_server") else { throw MotoError("moto_server not on PATH") }
    port = try MotoServer.freePort()
    process = Process()
    process.executableURL = URL(fileURLWithPath: exe)
    process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    process.environment = env
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(wait)
    while !MotoServer.accepts(port: port) {
      guard process.isRunning, Date() < deadline else {
        stop()
        throw MotoError("moto_server did not start on port \(port)")
      }
      usleep(50_000)
    }
  }

  deinit { stop() }

  /// Kills the server (SIGTERM, then SIGKILL) and waits for it.
  public func stop() {
    let first = lock.withLock {
      defer { stopped = true }
      return !stopped
    }
    guard first, process.processIdentifier > 0 else { return }
    if process.isRunning {
      kill(process.processIdentifier, SIGTERM)
      for _ in 0..<40 where process.isRunning { usleep(50_000) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
  }

  /// A port nothing listens on right now (bound to port 0 and released).
  public static func freePort() throws -> Int {
    let (fd, port) = try LoopbackListener.open(backlog: 1)
    close(fd)
    return port
  }

  public static func accepts(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &addr) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }
}

public struct MotoError: Error, CustomStringConvertible {
  public let description: String
  public init(_ d: String) { description = d }
}
