import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A loopback HTTP/1.1 server that answers EC2 Query requests from a closure, and counts them by action.
///
/// Just enough HTTP for URLSession: it reads the header block and a `Content-Length` body, answers with a
/// `Content-Length` body and `Connection: close`, then closes the connection. One thread per connection.
public final class EC2StubServer: @unchecked Sendable {
  /// The port it listens on, on 127.0.0.1.
  public let port: Int
  private let fd: Int32
  private let respond: @Sendable (_ action: String, _ index: Int) -> String
  private let lock = NSLock()
  private var seen: [String: Int] = [:]
  private var stopped = false

  /// `http://127.0.0.1:PORT`.
  public var url: String { "http://127.0.0.1:\(port)" }

  /// Starts listening; `respond` gets the request's `Action` and how many earlier requests had that action (0 for
  /// the first) and returns the XML body of a 200 answer.
  public init(respond: @escaping @Sendable (_ action: String, _ index: Int) -> String) throws {
    self.respond = respond
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    self.fd = fd
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        bind(fd, sa, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &len) == 0
      }
    }
    guard fd >= 0, ok else {
      if fd >= 0 { close(fd) }
      throw EC2StubError.bindFailed
    }
    port = Int(UInt16(bigEndian: addr.sin_port))
    Thread { [self] in acceptLoop() }.start()
  }

  deinit { stop() }

  /// How many requests with this `Action` it has answered so far.
  public func count(_ action: String) -> Int {
    lock.withLock { seen[action, default: 0] }
  }

  /// Stops accepting connections (an answer already being written still completes).
  public func stop() {
    lock.withLock {
      guard !stopped else { return }
      stopped = true
      shutdown(fd, Int32(SHUT_RDWR))
      close(fd)
    }
  }

  private func acceptLoop() {
    while true {
      let c = accept(fd, nil, nil)
      if c < 0 {
        if errno == EINTR { continue }
        return
      }
      Thread { [self] in serve(c) }.start()
    }
  }

  private func serve(_ c: Int32) {
    defer { close(c) }
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    var headerEnd: Int?
    while headerEnd == nil {
      headerEnd = Self.find(buffer, [13, 10, 13, 10])
      if headerEnd != nil { break }
      let n = read(c, &chunk, chunk.count)
      if n <= 0 { return }
      buffer += chunk[0..<n]
    }
    let end = headerEnd!
    var length = 0
    for line in String(decoding: buffer[0..<end], as: UTF8.self).split(separator: "\r\n") {
      let lower = line.lowercased()
      if lower.hasPrefix("content-length:") {
        length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
      }
    }
    while buffer.count < end + 4 + length {
      let n = read(c, &chunk, chunk.count)
      if n <= 0 { return }
      buffer += chunk[0..<n]
    }
    let form = String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self)
    var action = ""
    for pair in form.split(separator: "&") where pair.hasPrefix("Action=") {
      action = String(pair.dropFirst(7))
    }
    let index = lock.withLock {
      let i = seen[action, default: 0]
      seen[action] = i + 1
      return i
    }
    let body = Array(respond(action, index).utf8)
    let head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: \(body.count)\r\n"
      + "Connection: close\r\n\r\n"
    _ = Self.writeAll(c, Array(head.utf8)) && Self.writeAll(c, body)
  }

  private static func writeAll(_ c: Int32, _ bytes: [UInt8]) -> Bool {
    var off = 0
    while off < bytes.count {
      let n = bytes.withUnsafeBytes { write(c, $0.baseAddress! + off, $0.count - off) }
      if n <= 0 {
        if n < 0 && errno == EINTR { continue }
        return false
      }
      off += n
    }
    return true
  }

  private static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
    guard hay.count >= needle.count else { return nil }
    for i in 0...(hay.count - needle.count) where hay[i..<i + needle.count].elementsEqual(needle) { return i }
    return nil
  }
}

/// Why the stub server could not start.
public enum EC2StubError: Error, CustomStringConvertible {
  /// No loopback port could be bound.
  case bindFailed

  /// A one-line description.
  public var description: String { "cannot bind a loopback port for the EC2 stub server" }
}
