/// Where key pairs live: one endpoint, one account on it, one region. Key pair names are unique within a scope.
///
/// An empty field means unknown: a key imported from `aws ec2 create-key-pair` output knows neither its region nor
/// its endpoint. A binding with unknown parts is looked for, by fingerprint, in every listed scope its known parts
/// allow.
public struct CloudScope: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
  /// The endpoint name (`aws` for AWS's public endpoints, else the URL).
  public var endpoint: String
  /// The account id the cloud reported (STS or an EC2 owner id); empty when the cloud gave none.
  public var account: String
  /// The region.
  public var region: String

  /// Creates a scope.
  public init(endpoint: String, account: String, region: String) {
    self.endpoint = endpoint
    self.account = account
    self.region = region
  }

  /// Orders by endpoint, account, region.
  public static func < (a: CloudScope, b: CloudScope) -> Bool {
    (a.endpoint, a.account, a.region) < (b.endpoint, b.account, b.region)
  }

  /// `endpoint account region`, for messages.
  public var description: String { "\(endpoint) \(account) \(region)" }
}

extension CloudScope {
  /// The endpoint and account without the region: what a sweep of every region covers.
  public var accountScope: CloudScope { CloudScope(endpoint: endpoint, account: account, region: "") }

  /// Whether this (possibly incomplete) scope allows the complete scope `listed`: every known part is equal.
  public func admits(_ listed: CloudScope) -> Bool {
    (endpoint.isEmpty || endpoint == listed.endpoint) && (account.isEmpty || account == listed.account)
      && (region.isEmpty || region == listed.region)
  }

  /// Whether endpoint, account and region are all known.
  public var isComplete: Bool { !endpoint.isEmpty && !account.isEmpty && !region.isEmpty }
}
