import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The real transport: Foundation's `URLSession` (libcurl on Linux).
///
/// URLSession is used rather than a hand-written HTTP/1.1 client because real endpoints are HTTPS and the Cloud
/// module may not link a TLS library itself (only SSHKeys links OpenSSL); libcurl brings TLS, proxies
/// (`https_proxy`), connection reuse and HTTP keep-alive for free.
public struct URLSessionTransport: HTTPTransport {
  private let session: URLSession

  /// Creates a transport with an ephemeral session: no cookies, no cache, nothing written to disk.
  public init(maxConnectionsPerHost: Int = 16) {
    let config = URLSessionConfiguration.ephemeral
    config.httpCookieAcceptPolicy = .never
    config.httpShouldSetCookies = false
    config.urlCache = nil
    config.requestCachePolicy = .reloadIgnoringLocalCacheData
    config.httpMaximumConnectionsPerHost = maxConnectionsPerHost
    session = URLSession(configuration: config)
  }

  /// Performs one exchange.
  public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
    guard let url = URL(string: request.url) else { throw TransportError.network("invalid url \(request.url)") }
    var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
    r.httpMethod = request.method
    for h in request.headers where h.name.lowercased() != "host" {
      r.setValue(h.value, forHTTPHeaderField: h.name)
    }
    r.httpBody = Data(request.body)
    do {
      let (data, response) = try await session.data(for: r)
      let status = (response as? HTTPURLResponse)?.statusCode ?? 0
      return HTTPResponse(status: status, body: [UInt8](data))
    } catch let e as URLError {
      if e.code == .timedOut { throw TransportError.timeout(seconds: request.timeout) }
      throw TransportError.network("\(url.host ?? request.url): \(URLSessionTransport.describe(e))")
    } catch {
      throw TransportError.network("\(url.host ?? request.url): \(error)")
    }
  }

  private static func describe(_ e: URLError) -> String {
    switch e.code {
    case .cannotConnectToHost: return "connection refused"
    case .cannotFindHost, .dnsLookupFailed: return "host not found"
    case .notConnectedToInternet, .networkConnectionLost: return "network unreachable"
    case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate:
      return "tls handshake failed"
    default: return e.localizedDescription.lowercased()
    }
  }
}
