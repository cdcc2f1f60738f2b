/// Where key pairs live: one endpoint, one account on it, one region. Key pair names are unique within a scope.
public struct CloudScope: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
  /// The endpoint name (`aws` for AWS's public endpoints, else the URL).
  public var endpoint: String
  /// The account label (the CLI uses the access key id).
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
