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

/// The byte stream a connection is served over: a socket in the agent, an in-memory pipe in tests.
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

/// A connected socket as an ``AgentStream``.
public struct SocketStream: AgentStream {
  /// The connected descriptor; ``close()`` closes it.
  public let fd: Int32
  private var open = true

  /// Adopts `fd`, a connected stream socket.
  public init(fd: Int32) { self.fd = fd }

  public mutating func read(into buffer: inout [UInt8]) throws(AgentStreamError) -> Int {
    guard open else { throw .closed }
    while true {
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
      if n >= 0 { return n }
      if errno != EINTR { throw .io(errno: errno) }
    }
  }

  public mutating func write(_ bytes: [UInt8]) throws(AgentStreamError) {
    guard open else { throw .closed }
    if let e = bytes.withUnsafeBytes({ UnixSocket.writeAll(fd, $0) }) { throw .io(errno: e) }
  }

  public mutating func close() {
    guard open else { return }
    open = false
    _ = Glibc.close(fd)
  }
}
