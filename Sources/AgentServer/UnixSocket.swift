#if canImport(Glibc)
  import Glibc
#endif

/// The agent's Unix-socket plumbing, each piece in one place: the `sockaddr_un` set-up that binding and connecting
/// share, and the loop that writes a whole buffer to a socket.
enum UnixSocket {
  /// A `sockaddr_un` naming `path`, or nil when the path does not fit in `sun_path` with its terminating NUL
  /// (unix(7): 108 bytes on Linux).
  static func address(_ path: String) -> sockaddr_un? {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    return address
  }

  /// A new stream socket, close-on-exec; -1 with `errno` set on failure.
  static func stream() -> Int32 {
    socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  }

  /// Calls `body` with `address` seen as the generic `sockaddr` that bind(2) and connect(2) take.
  static func withSockaddr<R>(
    _ address: sockaddr_un, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
  ) -> R {
    var address = address
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
  }

  /// Writes all of `bytes` to `fd`, resuming after short writes and EINTR; MSG_NOSIGNAL so a peer that went away
  /// is an EPIPE, not a SIGPIPE. Nil on success, else the errno that stopped it.
  static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var offset = 0
    while offset < bytes.count {
      let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
      if n < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        return errno
      }
      offset += n
    }
    return nil
  }
}
