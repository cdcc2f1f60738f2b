import Foundation
import KeyholdSystem

#if canImport(Glibc)
  import Glibc
#endif

/// One EC2 Query request as the stub sees it.
public struct EC2StubRequest: Sendable {
  /// The form's `Action` parameter.
  public let action: String
  /// The region of the SigV4 credential scope (`Credential=AK/DATE/REGION/ec2/aws4_request`), or "".
  public let region: String
  /// How many earlier requests had the same action (0 for the first).
  public let index: Int
  /// The SigV4 service of the credential scope (`ec2`, `sts`), or "".
  public var service: String = ""
  /// The request path.
  public var path: String = "/"
  /// Every form parameter, `Action` and `Version` included, percent-decoded.
  public var parameters: [String: String] = [:]
}

/// A loopback HTTP/1.1 server that answers EC2 Query requests from a handler, and counts them by action.
///
/// Just enough HTTP for URLSession: a header block and a `Content-Length` body in, a `Content-Length` body out,
/// several requests per connection. One thread per connection. Tests and the cloud benchmark use it.
public final class EC2StubServer: @unchecked Sendable {
  /// The port it listens on, on 127.0.0.1.
  public let port: Int
  private let fd: Int32
  private let handler: @Sendable (EC2StubRequest) -> (status: Int, body: [UInt8])
  private let lock = NSLock()
  private var seen: [String: Int] = [:]
  private var stopped = false

  /// `http://127.0.0.1:PORT`.
  public var url: String { "http://127.0.0.1:\(port)" }

  /// Starts listening; `handler` returns the HTTP status and XML body for each request.
  public init(handler: @escaping @Sendable (EC2StubRequest) -> (status: Int, body: [UInt8])) throws {
    self.handler = handler
    (fd, port) = try LoopbackListener.open()
    Thread { [self] in acceptLoop() }.start()
  }

  /// Starts listening; `respond` gets the request's `Action` and how many earlier requests had that action (0 for
  /// the first) and returns the XML body of a 200 answer.
  public convenience init(respond: @escaping @Sendable (_ action: String, _ index: Int) -> String) throws {
    try self.init { request in (200, Array(respond(request.action, request.index).utf8)) }
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
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
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
      var region = ""
      var service = ""
      let headText = String(decoding: buffer[0..<end], as: UTF8.self)
      let requestLine = headText.split(separator: "\r\n").first.map(String.init) ?? ""
      let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
      for line in headText.split(separator: "\r\n") {
        let lower = line.lowercased()
        if lower.hasPrefix("content-length:") {
          length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        if lower.hasPrefix("authorization:"), let r = line.range(of: "Credential=") {
          let parts = line[r.upperBound...].split(separator: "/")
          if parts.count > 2 { region = String(parts[2]) }
          if parts.count > 3 { service = String(parts[3]) }
        }
      }
      let total = end + 4 + length
      while buffer.count < total {
        let n = read(c, &chunk, chunk.count)
        if n <= 0 { return }
        buffer += chunk[0..<n]
      }
      let form = String(decoding: buffer[(end + 4)..<total], as: UTF8.self)
      buffer.removeFirst(total)
      var action = ""
      var parameters: [String: String] = [:]
      for pair in form.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1).map {
          String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
        }
        parameters[kv[0]] = kv.count > 1 ? kv[1] : ""
        if pair.hasPrefix("Action=") { action = String(pair.dropFirst(7)) }
      }
      let index = lock.withLock {
        let i = seen[action, default: 0]
        seen[action] = i + 1
        return i
      }
      let request = EC2StubRequest(
        action: action, region: region, index: index, service: service, path: path, parameters: parameters)
      let (status, body) = handler(request)
      let head =
        "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Type: text/xml;charset=UTF-8\r\n"
        + "Content-Length: \(body.count)\r\n\r\n"
      do {
        try Descriptor.writeAll(c, Array(head.utf8), label: "the stub connection")
        try Descriptor.writeAll(c, body, label: "the stub connection")
      } catch {
        return
      }
    }
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

/// One instance for the stub's DescribeInstances answer.
public struct EC2StubInstance: Sendable {
  /// The instance id.
  public var id: String
  /// The key pair it was launched with.
  public var keyName: String
  /// `instanceState/name`.
  public var state: String
  /// The `Name` tag, when it has one.
  public var name: String?
  /// `ipAddress`.
  public var publicIP: String?
  /// `privateIpAddress`.
  public var privateIP: String?
  /// `dnsName`.
  public var publicDNS: String?

  /// Creates an instance.
  public init(
    id: String, keyName: String, state: String = "running", name: String? = nil, publicIP: String? = nil,
    privateIP: String? = nil, publicDNS: String? = nil
  ) {
    self.id = id
    self.keyName = keyName
    self.state = state
    self.name = name
    self.publicIP = publicIP
    self.privateIP = privateIP
    self.publicDNS = publicDNS
  }
}

extension EC2StubServer {
  /// A DescribeInstances answer holding `instances` in one reservation, as EC2 writes it.
  public static func describeInstancesXML(_ instances: [EC2StubInstance], nextToken: String? = nil) -> String {
    func esc(_ s: String) -> String {
      s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
    var items = ""
    for i in instances {
      items += "<item><instanceId>\(esc(i.id))</instanceId><keyName>\(esc(i.keyName))</keyName>"
      items += "<instanceState><name>\(esc(i.state))</name></instanceState>"
      items += "<launchTime>2026-12-01T10:00:00.000Z</launchTime>"
      if let v = i.publicIP { items += "<ipAddress>\(esc(v))</ipAddress>" }
      if let v = i.privateIP { items += "<privateIpAddress>\(esc(v))</privateIpAddress>" }
      items += "<dnsName>\(esc(i.publicDNS ?? ""))</dnsName>"
      if let v = i.name { items += "<tagSet><item><key>Name</key><value>\(esc(v))</value></item></tagSet>" }
      items += "</item>"
    }
    return "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><reservationSet><item>"
      + "<ownerId>123456789012</ownerId><instancesSet>\(items)</instancesSet></item></reservationSet>"
      + (nextToken.map { "<nextToken>\($0)</nextToken>" } ?? "") + "</DescribeInstancesResponse>"
  }

  /// A GetConsoleOutput answer; nil `console` leaves `output` out, as EC2 does before the instance has printed.
  public static func consoleOutputXML(instanceID: String, console: String?) -> String {
    let output = console.map { "<output>" + Data($0.utf8).base64EncodedString() + "</output>" } ?? ""
    return "<GetConsoleOutputResponse><instanceId>\(instanceID)</instanceId>"
      + "<timestamp>2026-12-01T10:05:00.000Z</timestamp>\(output)</GetConsoleOutputResponse>"
  }

  /// The console text cloud-init prints for `hostKeys` (`type base64` lines), with its usual noise.
  public static func cloudInitConsole(hostKeys: [String]) -> String {
    "[    8.1] cloud-init[620]: Cloud-init v. 23.1 running 'modules:final'\r\n"
      + "ec2: -----BEGIN SSH HOST KEY KEYS-----\r\n" + hostKeys.map { "ec2: \($0) root@instance\r\n" }.joined()
      + "ec2: -----END SSH HOST KEY KEYS-----\r\n" + "cloud-init[620]: finished\r\n"
  }
}
