#if canImport(Glibc)
  import Glibc
#endif

/// Why a system call behind a file, socket or terminal operation failed. Descriptions are one lowercase line and
/// name the path (or descriptor label) involved.
public enum SystemError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A system call failed: `operation` is what keyhold was doing ("open", "write", "rename onto", ...), `code` the
  /// errno it returned.
  case io(operation: String, path: String, code: Int32)
  /// A bounded read found more than `limit` bytes.
  case tooLarge(path: String, limit: Int)
  /// `path` is a symbolic link whose target cannot be resolved (dangling or a loop).
  case unresolvableLink(path: String, code: Int32)
  /// A Unix socket path does not fit a `sockaddr_un` (unix(7): 108 bytes, the terminating NUL included).
  case socketPathTooLong(path: String, bytes: Int)
  /// There is no controlling terminal to prompt on.
  case noTerminal
  /// A line read from a terminal or descriptor is longer than `limit` bytes.
  case lineTooLong(limit: Int)

  /// The errno of a failed call (0 for errors that are not one).
  public var code: Int32 {
    switch self {
    case .io(_, _, let code), .unresolvableLink(_, let code): return code
    case .socketPathTooLong: return ENAMETOOLONG
    case .tooLarge, .noTerminal, .lineTooLong: return 0
    }
  }

  /// strerror(3) of `code`.
  public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

  public var description: String {
    switch self {
    case .io(let operation, let path, let code): return "cannot \(operation) \(path): \(Self.reason(code))"
    case .tooLarge(let path, let limit): return "\(path) is larger than \(limit) bytes"
    case .unresolvableLink(let path, let code): return "cannot resolve the link \(path): \(Self.reason(code))"
    case .socketPathTooLong(let path, let bytes):
      return
        "the socket path \(path) is \(bytes) bytes; a unix socket address holds at most \(UnixSocketAddress.maxPathBytes)"
    case .noTerminal: return "no terminal to ask on"
    case .lineTooLong(let limit): return "input line longer than \(limit) bytes"
    }
  }
}
