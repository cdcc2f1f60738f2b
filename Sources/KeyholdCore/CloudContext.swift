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
  public var account: CloudAccount?

  /// Creates a context; the use cases look the account up themselves unless it is given.
  public init(
    target: CloudTarget, defaultRegion: String, explicitRegions: [String] = [], profileName: String? = nil,
    timeout: Double = 20, transport: any HTTPTransport, account: CloudAccount? = nil
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
  public var endpointIdentity: String { target.endpointIdentity(for: defaultRegion) }

  /// The partition, when this cloud is AWS's public endpoints.
  var endpointIdentityIfAWS: String? { target.usesAWSPublicEndpoints ? endpointIdentity : nil }

  /// The account id, or "" when the cloud gave none.
  public var accountID: String { account?.id ?? "" }

  /// A client for one region.
  public func client(region: String) -> EC2Client {
    EC2Client(
      endpoint: target.endpoint(for: region), credentials: target.credentials, transport: transport, timeout: timeout)
  }

  /// This context with the account of its credentials filled in (kept when already known). A failed lookup proves
  /// nothing about any key, so it ends the use case with exit status 2 before anything is written.
  public func withAccount(
    _ lookUp: @Sendable (CloudContext) async throws(CloudError) -> CloudAccount?
  ) async throws(KeyholdError) -> CloudContext {
    guard account == nil else { return self }
    var ctx = self
    do {
      ctx.account = try await lookUp(self)
    } catch {
      throw KeyholdError(
        "cannot learn which account the credentials belong to: \(error)", hint: Sync.hint(for: error), status: 2)
    }
    return ctx
  }

  /// The scope of one region of this cloud and account.
  public func scope(_ region: String) -> CloudScope {
    CloudScope(endpoint: endpointIdentity, account: accountID, region: region)
  }
}

/// How bindings name endpoints, so that two spellings of one endpoint compare equal.
public enum EndpointIdentity {
  /// The identity a stored binding's `cloud` field means, in the context of the cloud being synced: "" (unknown)
  /// when it cannot be told. Vaults before format 2 stored `aws` for AWS's public endpoints, a URL, or the AWS
  /// profile name in use; format 2 stores the partition or the canonical URL (`CloudTarget.endpointIdentity`).
  public static func ofStored(_ cloud: String, region: String, context: CloudContext) -> String {
    if cloud.isEmpty { return "" }
    if cloud == "aws" {
      return region.isEmpty ? context.endpointIdentityIfAWS ?? "aws" : EC2Endpoint.partition(ofRegion: region)
    }
    if cloud.hasPrefix("aws-") && !cloud.contains("/") { return cloud }
    if let url = EC2Endpoint.canonicalIdentity(of: cloud) { return url }
    if let profile = context.profileName, cloud == profile { return context.endpointIdentity }
    return ""
  }
}
