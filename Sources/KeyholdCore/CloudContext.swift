import Audit
import Cloud

/// One resolved cloud as the use cases see it: endpoint, credentials and regions, the account the credentials
/// belong to, and how to reach it.
///
/// The CLI builds it from flags and configuration (`CloudConfigResolver`); tests build it around a loopback server.
public struct CloudContext: Sendable {
  /// Endpoint, credentials and regions.
  public var target: CloudTarget
  /// The configured region (the first region a command without `--region` uses).
  public var defaultRegion: String
  /// The regions named with `--region`.
  public var explicitRegions: [String]
  /// The AWS profile in use, if any (vaults written before bindings named their account may name it).
  public var profileName: String?
  /// Per-request timeout in seconds.
  public var timeout: Double
  /// The HTTP transport every client uses.
  public var transport: any HTTPTransport
  /// The account the credentials belong to, as the cloud reported it; nil when it gave none.
  public var account: CloudAccountID?

  /// Creates a context; the account is looked up separately (``CloudContext/withAccount()``).
  public init(
    target: CloudTarget, defaultRegion: String, explicitRegions: [String] = [], profileName: String? = nil,
    timeout: Double = 20, transport: any HTTPTransport, account: CloudAccountID? = nil
  ) {
    self.target = target
    self.defaultRegion = defaultRegion
    self.explicitRegions = explicitRegions
    self.profileName = profileName
    self.timeout = timeout
    self.transport = transport
    self.account = account
  }

  /// The endpoint as bindings name it: the AWS partition (`aws`, `aws-cn`, ...) for AWS's public endpoints, else
  /// the canonical URL.
  public var endpointIdentity: String { EndpointIdentity.of(target: target, region: defaultRegion) }

  /// The account id, or "" when the cloud gave none.
  public var accountID: String { account?.id ?? "" }

  /// A client for one region.
  public func client(region: String) -> EC2Client {
    EC2Client(
      endpoint: target.endpoint(for: region), credentials: target.credentials, transport: transport, timeout: timeout)
  }

  /// The scope of one region of this cloud and account.
  public func scope(_ region: String) -> CloudScope {
    CloudScope(endpoint: endpointIdentity, account: accountID, region: region)
  }
}

/// The account a key pair lives in, and how keyhold learned it.
public struct CloudAccountID: Sendable, Equatable {
  /// The account id (12 digits on AWS and Eucalyptus).
  public var id: String
  /// Where it came from: `sts` (GetCallerIdentity) or `ec2-owner-id` (an owner id EC2 returned).
  public var source: String

  /// Creates an account id.
  public init(id: String, source: String) {
    self.id = id
    self.source = source
  }
}

/// How bindings name endpoints, so that two spellings of one endpoint compare equal.
public enum EndpointIdentity {
  /// The identity of a resolved target.
  public static func of(target: CloudTarget, region: String) -> String {
    target.usesAWSPublicEndpoints ? partition(of: region) : canonicalURL(target.endpoint.url) ?? target.endpoint.url
  }

  /// The AWS partition a region belongs to.
  public static func partition(of region: String) -> String {
    if region.hasPrefix("cn-") { return "aws-cn" }
    if region.hasPrefix("us-gov-") { return "aws-us-gov" }
    if region.hasPrefix("us-isob-") { return "aws-iso-b" }
    if region.hasPrefix("us-iso-") { return "aws-iso" }
    return "aws"
  }

  /// `scheme://host[:port]/path/` with scheme and host lowercased, the default port dropped, one trailing slash,
  /// no query; nil when `url` is not an http(s) URL.
  public static func canonicalURL(_ url: String) -> String? {
    guard let e = try? EC2Endpoint(url: url, region: "") else { return nil }
    var path = e.path
    while path.hasSuffix("//") { path.removeLast() }
    if !path.hasSuffix("/") { path += "/" }
    let defaultPort = e.scheme == "https" ? 443 : 80
    let port = e.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? ""
    return "\(e.scheme)://\(e.host)\(port)\(path)"
  }

  /// The identity a stored binding's `cloud` field means, in the context of the cloud being synced: "" (unknown)
  /// when it cannot be told. Vaults before format 2 stored `aws` for AWS's public endpoints, a URL, or the AWS
  /// profile name in use.
  public static func ofStored(_ cloud: String, region: String, context: CloudContext) -> String {
    if cloud.isEmpty { return "" }
    if cloud.hasPrefix("aws") && !cloud.contains("/") && ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"]
      .contains(cloud)
    {
      // `aws` in an old vault meant AWS's public endpoints in whatever partition the region is in.
      return cloud == "aws" && !region.isEmpty ? partition(of: region) : cloud
    }
    if let url = canonicalURL(cloud), cloud.contains("://") { return url }
    if let profile = context.profileName, cloud == profile { return context.endpointIdentity }
    return ""
  }
}
