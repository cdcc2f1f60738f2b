#if canImport(Glibc)
  import Glibc
#endif

/// Why a byte stream stopped.
public enum AgentStreamError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A read or write failed with this errno.
  case io(errno: Int32)
  /// The stream was closed.
  case closed

  public var description: String {
    switch self {
    case .io(let e): return "stream: \(String(cString: strerror(e)))"
    case .closed: return "stream closed"
    }
  }
}

/// A byte stream a connection can be served over, such as an in-memory pipe in tests (the agent's sockets are
/// served by ``EventLoop``).
///
/// The connection loop (``AgentConnectionLoop``) is written against this and nothing else, so framing and dispatch
/// can be exercised without a socket.
public protocol AgentStream {
  /// Reads at most `buffer.count` bytes into the start of `buffer`, blocking until some arrive; 0 at end of
  /// stream.
  mutating func read(into buffer: inout [UInt8]) throws(AgentStreamError) -> Int
  /// Writes all of `bytes`, blocking until they are taken.
  mutating func write(_ bytes: [UInt8]) throws(AgentStreamError)
  /// Ends the stream; later reads and writes fail.
  mutating func close()
}
