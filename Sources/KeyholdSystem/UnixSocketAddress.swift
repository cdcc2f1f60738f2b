#if canImport(Glibc)
  import Glibc
#endif

/// A `sockaddr_un` for a filesystem path (unix(7)).
public struct UnixSocketAddress: Sendable {
  /// The longest path that fits: `sun_path` is 108 bytes and keyhold always stores the terminating NUL.
  public static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

  /// The path it names.
  public let path: String
  private let storage: sockaddr_un

  /// The address of `path`; a path of more than ``maxPathBytes`` bytes is refused, since the kernel would
  /// silently use a truncated one.
  public init(path: String) throws(SystemError) {
    let bytes = Array(path.utf8)
    guard bytes.count <= Self.maxPathBytes else { throw .socketPathTooLong(path: path, bytes: bytes.count) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    self.path = path
    self.storage = address
  }

  /// Calls `body` with the address as a `sockaddr` and its length, for bind(2) and connect(2).
  public func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
    var address = storage
    return try withUnsafePointer(to: &address) { (p) throws(E) -> R in
      try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(E) -> R in
        try body(sa, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
  }

  /// A new stream socket (close-on-exec) connected to this address; the caller closes it.
  public func connect() throws(SystemError) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .io(operation: "create a socket for", path: path, code: errno) }
    let rc = withSockaddr { Glibc.connect(fd, $0, $1) }
    guard rc == 0 else {
      let e = errno
      close(fd)
      throw .io(operation: "connect to", path: path, code: e)
    }
    return fd
  }
}
