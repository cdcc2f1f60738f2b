/// One HTTP request as the EC2 client builds it.
public struct HTTPRequest: Sendable {
  /// The method, `POST` for every EC2 Query call.
  public var method: String
  /// The absolute URL.
  public var url: String
  /// Header fields in the order they were added.
  public var headers: [(name: String, value: String)]
  /// The body bytes.
  public var body: [UInt8]
  /// How long to wait for the whole exchange, in seconds.
  public var timeout: Double

  /// Creates a request.
  public init(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8], timeout: Double) {
    self.method = method
    self.url = url
    self.headers = headers
    self.body = body
    self.timeout = timeout
  }

  /// The value of the first header called `name` (case-insensitive).
  public func header(_ name: String) -> String? {
    let lower = name.lowercased()
    return headers.first { $0.name.lowercased() == lower }?.value
  }
}

/// One HTTP response.
public struct HTTPResponse: Sendable, Equatable {
  /// The status code.
  public var status: Int
  /// The body bytes.
  public var body: [UInt8]

  /// Creates a response.
  public init(status: Int, body: [UInt8]) {
    self.status = status
    self.body = body
  }
}

/// Why an exchange produced no HTTP response at all.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No answer within the request's timeout.
  case timeout(seconds: Double)
  /// The connection could not be made or broke (refused, unreachable, DNS, TLS).
  case network(String)

  /// A lowercase one-line description.
  public var description: String {
    switch self {
    case .timeout(let s): return "no answer within \(s.formatted1) s"
    case .network(let m): return m
    }
  }
}

/// Sends HTTP requests; the EC2 client talks to the network only through this.
///
/// Tests substitute fixture transports, so requests and retries are checked without a network.
public protocol HTTPTransport: Sendable {
  /// Performs one exchange. Throws `TransportError` when no response arrives.
  func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

extension Double {
  /// The value with at most one decimal, for messages (`2`, `0.5`).
  var formatted1: String {
    let r = (self * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
  }
}
