import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A listening TCP socket on 127.0.0.1 with a port the kernel picked.
public enum LoopbackListener {
  /// Ports handed out by `unusedPort` in this process. Tests run in parallel: the kernel may hand the same
  /// just-released port to two of them, and the second server to bind it would fail (or its test would talk to the
  /// first one's server).
  private static let handedOut = Mutex<Set<Int>>([])

  /// Binds and listens; returns the descriptor and its port.
  public static func open(backlog: Int32 = 64) throws -> (fd: Int32, port: Int) {
    try bound(listening: backlog)
  }

  /// A port on 127.0.0.1 that nothing listened on a moment ago and that no other caller in this process has been
  /// given, for a server started as a separate program (which must bind it itself). Another program on the machine
  /// may still take it first: callers detect a failed bind and ask again.
  public static func unusedPort() throws -> Int {
    for _ in 0..<100 {
      let (fd, port) = try bound(listening: 1)
      close(fd)
      // 2024 is taken by a service on the development machines; keep away from it.
      guard port != 2024 else { continue }
      let fresh = handedOut.withLock { $0.insert(port).inserted }
      if fresh { return port }
    }
    throw EC2StubError.bindFailed
  }

  /// A socket bound to a port on 127.0.0.1 without listening: connections to the port are refused, and no other
  /// program can take the port while the descriptor stays open. Close the descriptor when done.
  public static func refusingPort() throws -> (fd: Int32, port: Int) {
    try bound(listening: nil)
  }

  private static func bound(listening backlog: Int32?) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw EC2StubError.bindFailed }
    if backlog != nil {
      var one: Int32 = 1
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        bind(fd, sa, len) == 0 && (backlog.map { listen(fd, $0) == 0 } ?? true) && getsockname(fd, sa, &len) == 0
      }
    }
    guard ok else {
      close(fd)
      throw EC2StubError.bindFailed
    }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
  }
}
