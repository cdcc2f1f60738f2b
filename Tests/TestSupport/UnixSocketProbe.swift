import KeyholdSystem

#if canImport(Glibc)
  import Glibc
#endif

/// Whether a program listens on a Unix socket yet. The socket file appears at bind(2), a moment before listen(2):
/// a client that only waits for the file can still be refused on a loaded machine.
public enum UnixSocketProbe {
  /// Connects to `path` and hangs up at once; true when the connection was accepted.
  public static func accepts(_ path: String) -> Bool {
    guard let fd = try? UnixSocketAddress(path: path).connect() else { return false }
    close(fd)
    return true
  }
}
