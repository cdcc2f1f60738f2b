import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// Why talking to an agent failed.
public enum AgentClientError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The socket could not be reached.
  case connect(path: String, errno: Int32)
  /// The agent closed the connection.
  case closed
  /// A read or write failed.
  case io(errno: Int32)
  /// The reply was not a well-formed agent message.
  case badReply(AgentProtocolError)
  /// The reply frame had an impossible length.
  case badFrame(WireError)

  public var description: String {
    switch self {
    case .connect(let path, let e): return "cannot connect to the agent at \(path): \(String(cString: strerror(e)))"
    case .closed: return "the agent closed the connection"
    case .io(let e): return "agent connection: \(String(cString: strerror(e)))"
    case .badReply(let e): return "bad reply from the agent: \(e)"
    case .badFrame(let e): return "bad reply from the agent: \(e)"
    }
  }
}

/// A blocking client of an agent socket: one request, one reply. Used by `keyhold unlock`/`lock`, the tests and
/// the benchmark. Not for concurrent use.
public final class AgentClient {
  /// The connected descriptor.
  public let fd: Int32
  private var decoder = FrameDecoder()
  private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

  /// Connects to the Unix socket at `path`.
  public init(path: String) throws(AgentClientError) {
    guard let address = UnixSocket.address(path) else { throw .connect(path: path, errno: ENAMETOOLONG) }
    let fd = UnixSocket.stream()
    guard fd >= 0 else { throw .connect(path: path, errno: errno) }
    let rc = UnixSocket.withSockaddr(address) { connect(fd, $0, $1) }
    guard rc == 0 else {
      let e = errno
      close(fd)
      throw .connect(path: path, errno: e)
    }
    self.fd = fd
  }

  deinit { close(fd) }

  /// Sends `request` and waits for the reply.
  public func call(_ request: AgentRequest) throws(AgentClientError) -> AgentResponse {
    try writeRaw(AgentFrame.frame(request.encode()))
    return try readReply()
  }

  /// Sends raw bytes (frames, partial frames, garbage) as they are.
  public func writeRaw(_ bytes: [UInt8]) throws(AgentClientError) {
    if let e = bytes.withUnsafeBytes({ UnixSocket.writeAll(fd, $0) }) { throw .io(errno: e) }
  }

  /// Reads the next reply frame body.
  public func readFrame() throws(AgentClientError) -> [UInt8] {
    while true {
      do {
        if let body = try decoder.next() { return body }
      } catch {
        throw .badFrame(error)
      }
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .io(errno: errno)
      }
      if n == 0 { throw .closed }
      buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
  }

  /// Reads and decodes the next reply.
  public func readReply() throws(AgentClientError) -> AgentResponse {
    let body = try readFrame()
    do { return try AgentResponse.decode(body) } catch { throw .badReply(error) }
  }
}
