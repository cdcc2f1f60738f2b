import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A loopback HTTP/1.1 server that answers every POST with the recorded body of the region named in the request's
/// SigV4 credential scope (`Credential=AK/DATE/REGION/ec2/aws4_request`). Keep-alive, one thread per connection.
final class CloudReplayServer: @unchecked Sendable {
  let port: Int
  private let fd: Int32
  private let bodies: [String: [UInt8]]

  init(bodies: [String: [UInt8]]) throws {
    self.bodies = bodies
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    self.fd = fd
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        bind(fd, sa, len) == 0 && listen(fd, 64) == 0 && getsockname(fd, sa, &len) == 0
      }
    }
    guard ok else { throw BenchError("replay server: bind failed") }
    port = Int(UInt16(bigEndian: addr.sin_port))
    let t = Thread { [self] in acceptLoop() }
    t.start()
  }

  func stop() {
    shutdown(fd, Int32(SHUT_RDWR))
    close(fd)
  }

  private func acceptLoop() {
    while true {
      let c = accept(fd, nil, nil)
      if c < 0 {
        if errno == EINTR { continue }
        return
      }
      let t = Thread { [self] in serve(c) }
      t.start()
    }
  }

  private func serve(_ c: Int32) {
    defer { close(c) }
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      // Read until the header block is complete.
      var headerEnd: Int?
      while headerEnd == nil {
        if let r = find(buffer, [13, 10, 13, 10]) {
          headerEnd = r
          break
        }
        let n = read(c, &chunk, chunk.count)
        if n <= 0 { return }
        buffer += chunk[0..<n]
      }
      let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
      var length = 0
      var region = ""
      for line in head.split(separator: "\r\n") {
        let lower = line.lowercased()
        if lower.hasPrefix("content-length:") {
          length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        if lower.hasPrefix("authorization:"), let r = line.range(of: "Credential=") {
          let parts = line[r.upperBound...].split(separator: "/")
          if parts.count > 2 { region = String(parts[2]) }
        }
      }
      let total = headerEnd! + 4 + length
      while buffer.count < total {
        let n = read(c, &chunk, chunk.count)
        if n <= 0 { return }
        buffer += chunk[0..<n]
      }
      let requestBody = String(decoding: buffer[(headerEnd! + 4)..<total], as: UTF8.self)
      buffer.removeFirst(total)
      var body: [UInt8]
      var status = "200 OK"
      if requestBody.contains("Action=DescribeInstances") {
        // No instances anywhere: orphaned key pairs are in use by none.
        body = Array("<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>".utf8)
      } else if let recorded = bodies[region] {
        body = recorded
      } else {
        status = "400 Bad Request"
        body = Array(
          "<Response><Errors><Error><Code>InvalidRegion</Code><Message>\(region)</Message></Error></Errors></Response>"
            .utf8)
      }
      let header = "HTTP/1.1 \(status)\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: \(body.count)\r\n\r\n"
      guard writeAll(c, Array(header.utf8)), writeAll(c, body) else { return }
    }
  }

  private func writeAll(_ c: Int32, _ bytes: [UInt8]) -> Bool {
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

  private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
    guard hay.count >= needle.count else { return nil }
    for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
      if Array(hay[i..<i + needle.count]) == needle { return i }
    }
    return nil
  }
}

/// A benchmark setup failure.
struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
