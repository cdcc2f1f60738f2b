/// Which dialect of the EC2 Query API an endpoint speaks.
public enum CloudFlavor: String, Sendable, Equatable, Codable {
  /// AWS EC2 (and moto): accepts `IncludePublicKey`, `KeyType`, `KeyPairId.N` and tags.
  case aws
  /// Eucalyptus: rejects parameters it does not know, lists only `keyName` and `keyFingerprint`.
  case eucalyptus
}

/// Where to send EC2 calls for one region.
public struct EC2Endpoint: Sendable, Equatable {
  /// `http` or `https`.
  public var scheme: String
  /// The host name or address.
  public var host: String
  /// The port, when the URL names one.
  public var port: Int?
  /// The request path, `/` for AWS, often `/services/compute/` for Eucalyptus.
  public var path: String
  /// The region in the SigV4 credential scope.
  public var region: String
  /// The API dialect.
  public var flavor: CloudFlavor

  /// Creates an endpoint from its parts.
  public init(scheme: String, host: String, port: Int? = nil, path: String = "/", region: String, flavor: CloudFlavor) {
    self.scheme = scheme
    self.host = host
    self.port = port
    self.path = path.isEmpty ? "/" : path
    self.region = region
    self.flavor = flavor
  }

  /// Parses `scheme://host[:port][/path]`; a URL without a scheme is taken as `https://`.
  ///
  /// The flavor is Eucalyptus when `flavor` says so, or when it is nil and the path starts with `/services/`
  /// (Eucalyptus serves EC2 at `/services/compute` and, in older releases, `/services/Eucalyptus`).
  public init(url: String, region: String, flavor: CloudFlavor? = nil) throws(CloudConfigError) {
    var rest = Substring(url.trimmingSpaces)
    var scheme = "https"
    if let r = rest.range(of: "://") {
      scheme = rest[rest.startIndex..<r.lowerBound].lowercased()
      rest = rest[r.upperBound...]
    }
    guard scheme == "http" || scheme == "https" else { throw .invalidURL(url) }
    let slash = rest.firstIndex(of: "/") ?? rest.endIndex
    let authority = rest[rest.startIndex..<slash]
    var path = String(rest[slash...])
    if let q = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[path.startIndex..<q]) }
    var host = String(authority)
    var port: Int?
    if authority.hasPrefix("[") {  // IPv6 literal
      guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url) }
      host = String(authority[authority.startIndex...close])
      let after = authority[authority.index(after: close)...]
      if after.hasPrefix(":") {
        guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw .invalidURL(url) }
        port = p
      }
    } else if let colon = authority.lastIndex(of: ":") {
      guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
        throw .invalidURL(url)
      }
      host = String(authority[authority.startIndex..<colon])
      port = p
    }
    guard !host.isEmpty, !host.contains("@") else { throw .invalidURL(url) }
    let detected: CloudFlavor = path.lowercased().hasPrefix("/services/") ? .eucalyptus : .aws
    self.init(
      scheme: scheme, host: host.lowercased(), port: port, path: path, region: region, flavor: flavor ?? detected)
  }

  /// The AWS public endpoint of a region, `https://ec2.<region>.amazonaws.com/` (`.amazonaws.com.cn` in China).
  public static func aws(region: String) -> EC2Endpoint {
    let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    return EC2Endpoint(scheme: "https", host: "ec2.\(region).\(domain)", region: region, flavor: .aws)
  }

  /// The `Host` header value: the host, plus the port when it is not the scheme's default.
  public var hostHeader: String {
    guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
    return "\(host):\(port)"
  }

  /// The full URL, e.g. `http://127.0.0.1:5000/`.
  public var url: String { "\(scheme)://\(hostHeader)\(path)" }

  /// The same endpoint for another region (one URL serves every region on moto and single-URL clouds).
  public func with(region: String) -> EC2Endpoint {
    var e = self
    e.region = region
    return e
  }
}
