/// Why an EC2 call failed, sorted into the cases the audit and the commands react to differently.
public enum CloudError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The credentials were refused (`AuthFailure`, `SignatureDoesNotMatch`, `InvalidClientTokenId`, ...).
  case authFailure(code: String, message: String)
  /// The credentials are valid but may not make this call (`UnauthorizedOperation`).
  case unauthorizedOperation(message: String)
  /// `InvalidKeyPair.NotFound`.
  case keyPairNotFound(message: String)
  /// `InvalidKeyPair.Duplicate`.
  case keyPairDuplicate(message: String)
  /// `RequestLimitExceeded`, `Throttling`: still failing after the retries.
  case throttled(code: String, message: String)
  /// An HTTP 5xx answer, still failing after the retries.
  case server(status: Int, code: String?, message: String?)
  /// Any other error the service named.
  case api(status: Int, code: String, message: String)
  /// No connection to the endpoint.
  case network(String)
  /// No answer within the timeout.
  case timeout(seconds: Double)
  /// An answer that is not the XML the call promises.
  case malformedResponse(String)
  /// The call cannot be expressed for this endpoint (e.g. an ed25519 key pair on Eucalyptus).
  case unsupported(String)

  /// A short stable name for the kind of failure: `auth`, `unauthorized`, `not-found`, `duplicate`, `throttling`,
  /// `server`, `api`, `network`, `timeout`, `malformed`, `unsupported`.
  public var kind: String {
    switch self {
    case .authFailure: return "auth"
    case .unauthorizedOperation: return "unauthorized"
    case .keyPairNotFound: return "not-found"
    case .keyPairDuplicate: return "duplicate"
    case .throttled: return "throttling"
    case .server: return "server"
    case .api: return "api"
    case .network: return "network"
    case .timeout: return "timeout"
    case .malformedResponse: return "malformed"
    case .unsupported: return "unsupported"
    }
  }

  /// A lowercase one-line description.
  public var description: String {
    switch self {
    case .authFailure(let c, let m): return "authentication failed (\(c)): \(m)"
    case .unauthorizedOperation(let m): return "not authorized (UnauthorizedOperation): \(m)"
    case .keyPairNotFound(let m): return "key pair not found (InvalidKeyPair.NotFound): \(m)"
    case .keyPairDuplicate(let m): return "key pair already exists (InvalidKeyPair.Duplicate): \(m)"
    case .throttled(let c, let m): return "throttled (\(c)) after retries: \(m)"
    case .server(let s, let c, let m):
      return "server error \(s)" + (c.map { " (\($0))" } ?? "") + (m.map { ": \($0)" } ?? "")
    case .api(let s, let c, let m): return "\(c) (http \(s)): \(m)"
    case .network(let m): return "network error: \(m)"
    case .timeout(let s): return "timeout: no answer within \(s.formatted1) s"
    case .malformedResponse(let m): return "malformed response: \(m)"
    case .unsupported(let m): return "unsupported: \(m)"
    }
  }

  /// Whether the call is worth repeating after a pause: throttling and 5xx answers.
  public var isRetryable: Bool {
    switch self {
    case .throttled, .server: return true
    default: return false
    }
  }

  /// Sorts an EC2 error code (with its HTTP status and message) into a case.
  public static func from(status: Int, code: String, message: String) -> CloudError {
    switch code {
    case "AuthFailure", "SignatureDoesNotMatch", "InvalidClientTokenId", "IncompleteSignature",
      "MissingAuthenticationToken", "InvalidAccessKeyId", "UnrecognizedClientException", "ExpiredToken",
      "RequestExpired", "InvalidSecurity", "OptInRequired":
      return .authFailure(code: code, message: message)
    case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException":
      return .unauthorizedOperation(message: message)
    case "InvalidKeyPair.NotFound": return .keyPairNotFound(message: message)
    case "InvalidKeyPair.Duplicate": return .keyPairDuplicate(message: message)
    case "RequestLimitExceeded", "Throttling", "ThrottlingException", "SlowDown", "RequestThrottled":
      return .throttled(code: code, message: message)
    default:
      if status >= 500 { return .server(status: status, code: code, message: message) }
      return .api(status: status, code: code, message: message)
    }
  }
}
