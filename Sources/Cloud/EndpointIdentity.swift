/// Stable names for "which cloud": AWS partitions for AWS's public endpoints, canonical URLs for everything else.
extension EC2Endpoint {
  /// The AWS partition a region belongs to, from its name prefix as botocore's `partitions.json` lists them:
  /// `cn-*` → `aws-cn`, `us-gov-*` → `aws-us-gov`, `us-iso-*` → `aws-iso`, `us-isob-*` → `aws-iso-b`, `eu-isoe-*` →
  /// `aws-iso-e`, `us-isof-*` → `aws-iso-f`, anything else → `aws`.
  public static func partition(ofRegion region: String) -> String {
    let r = region.lowercased()
    // Longer prefixes first: `us-isob-` also starts with `us-iso`.
    let table: [(String, String)] = [
      ("us-isob-", "aws-iso-b"), ("us-isof-", "aws-iso-f"), ("eu-isoe-", "aws-iso-e"), ("us-iso-", "aws-iso"),
      ("us-gov-", "aws-us-gov"), ("cn-", "aws-cn"),
    ]
    for (prefix, partition) in table where r.hasPrefix(prefix) { return partition }
    return "aws"
  }

  /// The region of an AWS public EC2 host (`ec2.eu-west-1.amazonaws.com`, `ec2.cn-north-1.amazonaws.com.cn`),
  /// or nil for any other host.
  static func awsPublicRegion(ofHost host: String) -> String? {
    let h = host.lowercased()
    guard h.hasPrefix("ec2.") else { return nil }
    for suffix in [".amazonaws.com.cn", ".amazonaws.com"] where h.hasSuffix(suffix) {
      let region = h.dropFirst(4).dropLast(suffix.count)
      guard !region.isEmpty, !region.contains(".") else { return nil }
      return String(region)
    }
    return nil
  }

  /// Whether the host is one of AWS's public regional EC2 endpoints.
  public var isAWSPublicHost: Bool { EC2Endpoint.awsPublicRegion(ofHost: host) != nil }

  /// The canonical identity of an endpoint URL string, for comparing endpoints stored at different times.
  ///
  /// An AWS public EC2 URL becomes its partition (`https://ec2.eu-west-1.amazonaws.com` → `aws`), so it compares
  /// equal to a target that uses AWS's public endpoints. Any other URL becomes `scheme://host[:port]/path/`: scheme
  /// and host lowercased, the scheme's default port (80, 443) dropped, empty path segments removed, exactly one
  /// trailing `/`, no query or fragment. Nil when the string is not an `http` or `https` URL with a host (a bare
  /// `aws` stored earlier is not a URL).
  public static func canonicalIdentity(of url: String) -> String? {
    let trimmed = String(url.trimmingSpaces)
    guard let sep = trimmed.range(of: "://") else { return nil }
    let scheme = trimmed[trimmed.startIndex..<sep.lowerBound].lowercased()
    guard scheme == "http" || scheme == "https" else { return nil }
    guard let e = try? EC2Endpoint(url: trimmed, region: "x", flavor: .aws) else { return nil }
    return e.canonicalIdentity
  }

  /// This endpoint's identity as `canonicalIdentity(of:)` defines it.
  public var canonicalIdentity: String {
    if let region = EC2Endpoint.awsPublicRegion(ofHost: host) { return EC2Endpoint.partition(ofRegion: region) }
    let segments = path.split(separator: "/", omittingEmptySubsequences: true)
    let normalisedPath = "/" + segments.map { $0 + "/" }.joined()
    var authority = host.lowercased()
    if let port, port != (scheme == "https" ? 443 : 80) { authority += ":\(port)" }
    return "\(scheme.lowercased())://\(authority)\(normalisedPath)"
  }
}

extension CloudTarget {
  /// Where the key pairs of this target live, as a binding records it: the AWS partition of the first region
  /// (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b`) for AWS's public endpoints, else the canonical URL of
  /// the endpoint (see `EC2Endpoint.canonicalIdentity(of:)`).
  public var endpointIdentity: String {
    if usesAWSPublicEndpoints { return EC2Endpoint.partition(ofRegion: regions.first ?? endpoint.region) }
    return endpoint.canonicalIdentity
  }

  /// The partition or canonical URL for one of the target's regions (AWS regions of one target may straddle
  /// partitions when `--region` names both `eu-west-1` and `cn-north-1`).
  public func endpointIdentity(for region: String) -> String {
    if usesAWSPublicEndpoints { return EC2Endpoint.partition(ofRegion: region) }
    return endpoint.canonicalIdentity
  }
}
