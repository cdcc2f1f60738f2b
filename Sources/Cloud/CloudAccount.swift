/// The account a key pair lives in, as the cloud itself reported it.
///
/// The id is never derived from the access key id: access keys rotate and several users share one account.
public struct CloudAccount: Sendable, Equatable {
  /// Which call reported the account.
  public enum Source: String, Sendable, Equatable {
    /// STS `GetCallerIdentity` (`Account`).
    case sts
    /// An `ownerId` in an EC2 answer (DescribeSecurityGroups, or a DescribeInstances reservation).
    case ec2OwnerID = "ec2-owner-id"
  }

  /// The account id, `123456789012` on AWS (Eucalyptus ids have the same form).
  public var id: String
  /// Which call reported it.
  public var source: Source
  /// The caller's ARN, when STS answered.
  public var arn: String?

  /// Creates an account record.
  public init(id: String, source: Source, arn: String? = nil) {
    self.id = id
    self.source = source
    self.arn = arn
  }
}

/// What asking the cloud for the account gave.
public enum AccountLookup: Sendable, Equatable {
  /// The cloud named the account.
  case known(CloudAccount)
  /// Every call that could name it answered, and none did (no STS, no security group, no instance).
  case unknown(reason: String)
  /// A call failed in a way that says nothing about the account: refused credentials, network, timeout,
  /// throttling, a server error.
  case failed(CloudError)
}

extension EC2Client {
  /// The STS API version of `GetCallerIdentity`.
  public static let stsAPIVersion = "2011-06-15"

  /// Where STS `GetCallerIdentity` goes for this endpoint, or nil when STS must not be asked.
  ///
  /// AWS's public EC2 endpoints pair with the regional STS host of the same region (`sts.REGION.amazonaws.com`,
  /// `sts.REGION.amazonaws.com.cn`); any other AWS-flavored endpoint (moto, a private cloud) gets the same URL,
  /// signed for service `sts`. Eucalyptus is never sent STS calls on its compute URL.
  public var stsEndpoint: EC2Endpoint? {
    guard endpoint.flavor == .aws else { return nil }
    if let region = EC2Endpoint.awsPublicRegion(ofHost: endpoint.host) {
      let domain = endpoint.host.lowercased().hasSuffix(".amazonaws.com.cn") ? "amazonaws.com.cn" : "amazonaws.com"
      return EC2Endpoint(scheme: "https", host: "sts.\(region).\(domain)", region: region, flavor: .aws)
    }
    return endpoint
  }

  /// Asks the cloud which account these credentials belong to.
  ///
  /// AWS-flavored endpoints: STS `GetCallerIdentity` first. When STS is not there (an unknown action, a 404, not
  /// implemented, access denied, an answer without `Account`), and always on Eucalyptus, the EC2 API's own
  /// `ownerId`: DescribeSecurityGroups (every account has a default group), then the reservations of
  /// DescribeInstances. Eucalyptus is sent those two calls with no parameters at all; AWS gets `MaxResults=5`.
  /// Refused credentials, network failures and timeouts are `.failed`: they prove nothing about the account.
  public func lookUpAccount() async -> AccountLookup {
    var stsNote: String?
    if let sts = stsEndpoint {
      let service = QueryService(endpoint: sts, signingName: "sts", version: EC2Client.stsAPIVersion)
      do throws(CloudError) {
        let root = try await call(service, "GetCallerIdentity", [])
        if let id = root.descendant("Account").map({ String($0.text.trimmingSpaces) }), !id.isEmpty {
          let arn = root.descendant("Arn").map { String($0.text.trimmingSpaces) }
          return .known(CloudAccount(id: id, source: .sts, arn: arn.flatMap { $0.isEmpty ? nil : $0 }))
        }
        stsNote = "sts answered without an account"
      } catch {
        // On AWS itself STS always answers valid credentials, so a refusal there is final. Another cloud may
        // refuse an `sts`-scoped signature and still serve EC2: let the EC2 calls decide.
        if case .authFailure = error, endpoint.isAWSPublicHost { return .failed(error) }
        guard EC2Client.stsMayBeMissing(error) || error.kind == "auth" else { return .failed(error) }
        stsNote = "sts unavailable (\(error.kind))"
      }
    }
    let limit: [(String, String)] = endpoint.flavor == .aws ? [("MaxResults", "5")] : []
    var notes: [String] = stsNote.map { [$0] } ?? []
    for (action, set) in [("DescribeSecurityGroups", "securityGroupInfo"), ("DescribeInstances", "reservationSet")] {
      do throws(CloudError) {
        let root = try await call(action, limit)
        let owner = root.items(of: set).lazy.compactMap { $0.value("ownerId") }.first { !$0.isEmpty }
        if let owner { return .known(CloudAccount(id: owner, source: .ec2OwnerID)) }
        notes.append("\(action) named no owner")
      } catch {
        switch error {
        case .unauthorizedOperation, .api, .malformedResponse, .unsupported:
          notes.append("\(action) refused (\(error.kind))")
        default:
          return .failed(error)
        }
      }
    }
    return .unknown(reason: notes.joined(separator: "; "))
  }

  /// Whether an STS failure means "no STS here" rather than "this request failed": unknown actions, 4xx answers
  /// that are not about the credentials, 501, and answers that are not STS XML.
  static func stsMayBeMissing(_ error: CloudError) -> Bool {
    switch error {
    case .api, .unauthorizedOperation, .malformedResponse, .unsupported, .keyPairNotFound: return true
    case .server(let status, let code, _): return status == 501 || code == "NotImplemented"
    default: return false
    }
  }
}

extension CloudTarget {
  /// Asks the cloud which account this target's keys belong to, through a client for `region` (the first
  /// configured region when nil). See `EC2Client.lookUpAccount()`.
  public func lookUpAccount(
    region: String? = nil, transport: any HTTPTransport = URLSessionTransport(), timeout: Double = 20
  ) async -> AccountLookup {
    let client = EC2Client(
      endpoint: endpoint(for: region ?? regions.first ?? endpoint.region), credentials: credentials,
      transport: transport, timeout: timeout)
    return await client.lookUpAccount()
  }
}
