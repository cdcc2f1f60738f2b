#if canImport(Glibc)
  import Glibc
#endif

/// Why an ``EventLoop`` could not be set up or started.
public enum EventLoopError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A system call failed.
  case system(call: String, errno: Int32)
  /// A thread could not be started.
  case thread
  /// ``EventLoop/start()`` or ``EventLoop/run()`` was called on a loop that already runs or has stopped.
  case alreadyStarted

  /// A one-line lowercase message.
  public var description: String {
    switch self {
    case .system(let call, let e): return "event loop: \(call): \(String(cString: strerror(e)))"
    case .thread: return "event loop: cannot start a thread"
    case .alreadyStarted: return "event loop: already started"
    }
  }
}
