import Foundation

/// A client for the EC2 Query API (`Version=2016-11-15`) on one endpoint and region.
///
/// Every call is an HTTP POST whose form body carries `Action`, `Version` and the parameters, signed with SigV4
/// (`<date>/<region>/ec2/aws4_request`). The clock, the back-off and the transport are injected, so the same value
/// can be driven against fixtures, moto and the real service.
public struct EC2Client: Sendable {
  /// The API version every request names.
  public static let apiVersion = "2016-11-15"

  /// Where requests go.
  public var endpoint: EC2Endpoint
  /// The keys requests are signed with.
  public var credentials: AWSCredentials
  /// The HTTP transport.
  public var transport: any HTTPTransport
  /// The current Unix time in seconds (injected so signatures are reproducible).
  public var clock: @Sendable () -> Int64
  /// Back-off for throttling and 5xx answers.
  public var retry: RetryPolicy
  /// Per-request timeout in seconds.
  public var timeout: Double

  /// Creates a client.
  public init(
    endpoint: EC2Endpoint, credentials: AWSCredentials, transport: any HTTPTransport = URLSessionTransport(),
    clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
    retry: RetryPolicy = RetryPolicy(), timeout: Double = 20
  ) {
    self.endpoint = endpoint
    self.credentials = credentials
    self.transport = transport
    self.clock = clock
    self.retry = retry
    self.timeout = timeout
  }

  /// The same client for another region of the same endpoint.
  public func with(region: String) -> EC2Client {
    var c = self
    c.endpoint = endpoint.with(region: region)
    return c
  }

  // MARK: - Requests

  /// Encodes `Action`, `Version` and the parameters as an `application/x-www-form-urlencoded` body.
  public static func formBody(action: String, parameters: [(String, String)]) -> [UInt8] {
    formBody(action: action, version: apiVersion, parameters: parameters)
  }

  /// Encodes `Action`, `Version` and the parameters for any Query API (EC2, STS).
  static func formBody(action: String, version: String, parameters: [(String, String)]) -> [UInt8] {
    let all = [("Action", action), ("Version", version)] + parameters
    return Array(
      all.map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&").utf8)
  }

  /// The signed request for one call, at the given Unix time.
  public func request(action: String, parameters: [(String, String)], at time: Int64) -> HTTPRequest {
    request(QueryService.ec2(endpoint), action: action, parameters: parameters, at: time)
  }

  /// Which Query API a call goes to: where, the SigV4 service name, and the `Version`.
  struct QueryService: Sendable {
    var endpoint: EC2Endpoint
    var signingName: String
    var version: String

    static func ec2(_ endpoint: EC2Endpoint) -> QueryService {
      QueryService(endpoint: endpoint, signingName: "ec2", version: EC2Client.apiVersion)
    }
  }

  func request(_ service: QueryService, action: String, parameters: [(String, String)], at time: Int64)
    -> HTTPRequest
  {
    let endpoint = service.endpoint
    let body = EC2Client.formBody(action: action, version: service.version, parameters: parameters)
    let headers: [(String, String)] = [
      ("Host", endpoint.hostHeader), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    ]
    let signer = SigV4Signer(credentials: credentials, region: endpoint.region, service: service.signingName)
    let auth = signer.sign(
      method: "POST", path: endpoint.path, headers: headers, body: body, date: AMZDate(secondsSince1970: time))
    return HTTPRequest(
      method: "POST", url: endpoint.url, headers: (headers + auth).map { (name: $0.0, value: $0.1) }, body: body,
      timeout: timeout)
  }

  /// Performs one call and returns the parsed answer, retrying throttling and 5xx answers per `retry`.
  ///
  /// This is the one place where HTTP statuses, EC2 error bodies and transport failures become `CloudError`s.
  public func call(_ action: String, _ parameters: [(String, String)] = []) async throws(CloudError) -> XMLElement {
    try await call(QueryService.ec2(endpoint), action, parameters)
  }

  /// Performs one call to any Query API service, with the same retries and error mapping as `call(_:_:)`.
  func call(_ service: QueryService, _ action: String, _ parameters: [(String, String)]) async throws(CloudError)
    -> XMLElement
  {
    var attempt = 1
    while true {
      do throws(CloudError) {
        return try await callOnce(service, action, parameters)
      } catch {
        guard error.isRetryable, attempt < retry.maxAttempts else { throw error }
        await retry.sleep(retry.delay(beforeRetry: attempt))
        attempt += 1
      }
    }
  }

  private func callOnce(_ service: QueryService, _ action: String, _ parameters: [(String, String)])
    async throws(CloudError) -> XMLElement
  {
    let req = request(service, action: action, parameters: parameters, at: clock())
    let response: HTTPResponse
    do {
      response = try await transport.send(req)
    } catch let e as TransportError {
      switch e {
      case .timeout(let s): throw .timeout(seconds: s)
      case .network(let m): throw .network(m)
      }
    } catch {
      throw .network("\(error)")
    }
    let root: XMLElement
    do {
      root = try XMLScanner.parse(response.body)
    } catch {
      if response.status >= 500 { throw .server(status: response.status, code: nil, message: nil) }
      if response.status >= 400 {
        throw .api(status: response.status, code: "HTTP\(response.status)", message: EC2Client.snippet(response.body))
      }
      throw .malformedResponse("\(action): \(error)")
    }
    if let err = EC2Client.error(in: root, status: response.status) { throw err }
    guard (200..<300).contains(response.status) else {
      if response.status >= 500 { throw .server(status: response.status, code: nil, message: nil) }
      throw .api(status: response.status, code: "HTTP\(response.status)", message: EC2Client.snippet(response.body))
    }
    return root
  }

  /// The error an EC2 error body names (`<Response><Errors><Error><Code/><Message/>`, or `<ErrorResponse>`).
  static func error(in root: XMLElement, status: Int) -> CloudError? {
    guard root.name == "Response" || root.name == "ErrorResponse" || root.name == "Errors" || root.name == "Error"
    else { return nil }
    guard let e = root.name == "Error" ? root : root.descendant("Error"), let code = e.value("Code") else {
      return nil
    }
    return CloudError.from(status: status == 200 ? 400 : status, code: code, message: e.value("Message") ?? "")
  }

  private static func snippet(_ body: [UInt8]) -> String {
    let s = String(decoding: body.prefix(200), as: UTF8.self).trimmingSpaces
    return s.isEmpty ? "empty body" : String(s).replacingOccurrences(of: "\n", with: " ")
  }
}
