/// The resolved answer to "which cloud, as whom, where": credentials, endpoints per region, and where they came from.
public struct CloudTarget: Sendable, Equatable {
  /// The keys to sign with.
  public var credentials: AWSCredentials
  /// The endpoint of the first region; other regions derive from it (see `endpoint(for:)`).
  public var endpoint: EC2Endpoint
  /// The regions to query, the configured one first.
  public var regions: [String]
  /// Whether `endpoint` is the AWS public endpoint (then each region gets its own host).
  public var usesAWSPublicEndpoints: Bool
  /// Where the settings came from, for messages: `environment`, `aws profile work`, `euca2ools region eu1`, ...
  public var source: String

  /// Creates a target.
  public init(
    credentials: AWSCredentials, endpoint: EC2Endpoint, regions: [String], usesAWSPublicEndpoints: Bool,
    source: String
  ) {
    self.credentials = credentials
    self.endpoint = endpoint
    self.regions = regions
    self.usesAWSPublicEndpoints = usesAWSPublicEndpoints
    self.source = source
  }

  /// The endpoint for `region`: its own AWS host, or the configured URL with `region` in the signing scope.
  public func endpoint(for region: String) -> EC2Endpoint {
    usesAWSPublicEndpoints ? EC2Endpoint.aws(region: region) : endpoint.with(region: region)
  }

  /// A stable name of the endpoint for reports and vault bindings: `aws` for AWS's public endpoints, else the
  /// URL (`http://127.0.0.1:5000/`).
  public var endpointName: String { usesAWSPublicEndpoints ? "aws" : endpoint.url }

  /// The account label used in reports: the access key id (the account id is not known without another call).
  public var account: String { credentials.accessKeyID }
}
