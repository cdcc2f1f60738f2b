import KeyholdCrypto

/// Signs HTTP requests with AWS Signature Version 4 (header form).
///
/// The steps and names follow the AWS General Reference, "Create a signed AWS API request": canonical request,
/// string to sign, signing key (`AWS4` + secret → date → region → service → `aws4_request`), signature. The clock
/// is not read here: callers pass the instant, so signatures are fixed values in tests.
public struct SigV4Signer: Sendable {
  /// The keys to sign with.
  public var credentials: AWSCredentials
  /// The region in the credential scope (`us-east-1`).
  public var region: String
  /// The service in the credential scope (`ec2`).
  public var service: String

  /// The signing algorithm name.
  public static let algorithm = "AWS4-HMAC-SHA256"

  /// Creates a signer for one credential scope.
  public init(credentials: AWSCredentials, region: String, service: String) {
    self.credentials = credentials
    self.region = region
    self.service = service
  }

  /// The canonical request and its signed-headers list (step 1).
  ///
  /// Header names are lowercased and sorted, values trimmed with inner runs of spaces collapsed; query parameters
  /// are URI-encoded (RFC 3986 unreserved set) and sorted by name, then value.
  public func canonicalRequest(
    method: String, path: String, query: [(String, String)], headers: [(String, String)], body: [UInt8]
  ) -> (request: String, signedHeaders: String) {
    let uri =
      path.isEmpty
      ? "/"
      : path.split(separator: "/", omittingEmptySubsequences: false)
        .map { SigV4Signer.uriEncode(String($0)) }.joined(separator: "/")
    let q = query.map { (SigV4Signer.uriEncode($0.0), SigV4Signer.uriEncode($0.1)) }
      .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
      .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    var merged: [String: String] = [:]
    for (name, value) in headers {
      let key = name.lowercased()
      let v = SigV4Signer.normalizeHeaderValue(value)
      merged[key] = merged[key].map { $0 + "," + v } ?? v
    }
    let names = merged.keys.sorted()
    let canonicalHeaders = names.map { "\($0):\(merged[$0]!)\n" }.joined()
    let signed = names.joined(separator: ";")
    let payloadHash = Hex.encode(Digest.sha256(body))
    return ([method, uri, q, canonicalHeaders, signed, payloadHash].joined(separator: "\n"), signed)
  }

  /// The credential scope, `<day>/<region>/<service>/aws4_request`.
  public func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

  /// The string to sign (step 2) for a canonical request.
  public func stringToSign(canonicalRequest: String, date: AMZDate) -> String {
    [
      SigV4Signer.algorithm, date.timestamp, scope(day: date.day),
      Hex.encode(Digest.sha256(Array(canonicalRequest.utf8))),
    ].joined(separator: "\n")
  }

  /// The derived signing key (step 3).
  public func signingKey(day: String) -> [UInt8] {
    var k = HMAC.sha256(key: Array(("AWS4" + credentials.secretAccessKey).utf8), data: Array(day.utf8))
    k = HMAC.sha256(key: k, data: Array(region.utf8))
    k = HMAC.sha256(key: k, data: Array(service.utf8))
    return HMAC.sha256(key: k, data: Array("aws4_request".utf8))
  }

  /// The headers to add to a request: `X-Amz-Date`, `Authorization` and, with a session token,
  /// `X-Amz-Security-Token`.
  ///
  /// `headers` must already hold `Host` and every other header that should be signed; the added date and token
  /// headers are signed too.
  public func sign(
    method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], body: [UInt8],
    date: AMZDate
  ) -> [(String, String)] {
    var added = [("X-Amz-Date", date.timestamp)]
    if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
    let (request, signed) = canonicalRequest(
      method: method, path: path, query: query, headers: headers + added, body: body)
    let sts = stringToSign(canonicalRequest: request, date: date)
    let signature = Hex.encode(HMAC.sha256(key: signingKey(day: date.day), data: Array(sts.utf8)))
    let auth =
      "\(SigV4Signer.algorithm) Credential=\(credentials.accessKeyID)/\(scope(day: date.day)), "
      + "SignedHeaders=\(signed), Signature=\(signature)"
    return added + [("Authorization", auth)]
  }

  /// Percent-encodes everything outside RFC 3986's unreserved set (`A-Z a-z 0-9 - _ . ~`), as SigV4 requires.
  public static func uriEncode(_ s: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out = [UInt8]()
    out.reserveCapacity(s.utf8.count)
    for b in s.utf8 {
      switch b {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
        UInt8(ascii: "~"):
        out.append(b)
      default:
        out.append(UInt8(ascii: "%"))
        out.append(hex[Int(b >> 4)])
        out.append(hex[Int(b & 0x0f)])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func normalizeHeaderValue(_ v: String) -> String {
    var out = ""
    var lastSpace = false
    for ch in v.trimmingSpaces {
      if ch == " " {
        if !lastSpace { out.append(ch) }
        lastSpace = true
      } else {
        out.append(ch)
        lastSpace = false
      }
    }
    return out
  }
}

extension String {
  /// The string without leading and trailing spaces, tabs, CRs and LFs (scanned as UTF-8: these are all ASCII).
  var trimmingSpaces: Substring {
    let u = utf8
    var start = u.startIndex
    var end = u.endIndex
    func ws(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }
    while start < end, ws(u[start]) { start = u.index(after: start) }
    while end > start, ws(u[u.index(before: end)]) { end = u.index(before: end) }
    if start == u.startIndex && end == u.endIndex { return self[...] }
    return self[start..<end]
  }
}
