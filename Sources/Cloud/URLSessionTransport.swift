import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The real transport: Foundation's `URLSession` (libcurl on Linux).
///
/// URLSession is used rather than a hand-written HTTP/1.1 client because real endpoints are HTTPS and the Cloud
/// module does not call a TLS library itself (it reaches OpenSSL only through KeyholdCrypto's digests); libcurl
/// brings TLS, proxies (`https_proxy`), connection reuse and HTTP keep-alive for free.
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
    // The whole exchange gets one deadline. URLSession's own timeouts are idle timers (and on Linux the per-request
    // one is not applied), so a peer that accepts and then says nothing would otherwise hold us for a minute.
    let once = ResumeOnce()
    let timeout = request.timeout
    let host = url.host ?? request.url
    return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<HTTPResponse, any Error>) in
      let task = session.dataTask(with: r) { data, response, error in
        once.run {
          if let e = error as? URLError {
            if e.code == .timedOut {
              cont.resume(throwing: TransportError.timeout(seconds: timeout))
            } else {
              cont.resume(throwing: TransportError.network("\(host): \(URLSessionTransport.describe(e))"))
            }
          } else if let error {
            cont.resume(throwing: TransportError.network("\(host): \(error)"))
          } else {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            cont.resume(returning: HTTPResponse(status: status, body: [UInt8](data ?? Data())))
          }
        }
      }
      let box = TaskBox(task)
      task.resume()
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
        once.run {
          cont.resume(throwing: TransportError.timeout(seconds: timeout))
          box.task.cancel()
        }
      }
    }
  }

  static func describe(_ e: URLError) -> String {
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

/// Runs its closure at most once across threads: the completion handler and the deadline race to resume.
private final class ResumeOnce: @unchecked Sendable {
  private let lock = NSLock()
  private var done = false

  func run(_ body: () -> Void) {
    let first = lock.withLock {
      defer { done = true }
      return !done
    }
    if first { body() }
  }
}

/// Carries a data task into the deadline closure (URLSessionTask is thread-safe but not marked Sendable).
private final class TaskBox: @unchecked Sendable {
  let task: URLSessionDataTask
  init(_ task: URLSessionDataTask) { self.task = task }
}
