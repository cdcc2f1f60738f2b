import Cloud
import Foundation
import TestSupport
import Testing

/// Which account a client's credentials belong to, asked of a loopback EC2 stub.
struct AccountLookupTests {
  static let creds = AWSCredentials(accessKeyID: "AKIDLOOKUP", secretAccessKey: "secret")

  static func client(_ url: String, flavor: CloudFlavor? = nil) throws -> EC2Client {
    EC2Client(
      endpoint: try EC2Endpoint(url: url, region: "r1", flavor: flavor), credentials: creds,
      transport: URLSessionTransport(), retry: RetryPolicy(maxAttempts: 1), timeout: 60)
  }

  static func error(_ code: String) -> [UInt8] {
    Array(
      "<Response><Errors><Error><Code>\(code)</Code><Message>\(code) here</Message></Error></Errors><RequestID>r</RequestID></Response>"
        .utf8)
  }

  static let groups = """
    <DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId>
    <securityGroupInfo><item><ownerId>000123456789</ownerId><groupId>sg-1</groupId><groupName>default</groupName>
    </item></securityGroupInfo></DescribeSecurityGroupsResponse>
    """

  static let reservations = """
    <DescribeInstancesResponse><reservationSet><item><reservationId>r-1</reservationId><ownerId>000999888777</ownerId>
    <instancesSet/></item></reservationSet></DescribeInstancesResponse>
    """

  /// Eucalyptus answers DescribeSecurityGroups with each group's `ownerId`, and has no STS on its compute URL:
  /// the lookup must not send it one, nor any parameter Eucalyptus does not know.
  @Test func eucalyptusAccountComesFromSecurityGroupsWithoutAnySTSRequest() async throws {
    let seen = RequestLog()
    let stub = try EC2StubServer { req in
      seen.append(req)
      switch req.action {
      case "DescribeSecurityGroups": return (200, Array(Self.groups.utf8))
      default: return (400, Self.error("InvalidAction"))
      }
    }
    defer { stub.stop() }
    let lookup = await (try Self.client(stub.url + "/services/compute")).lookUpAccount()
    #expect(lookup == .known(CloudAccount(id: "000123456789", source: .ec2OwnerID)))
    #expect(stub.count("GetCallerIdentity") == 0)
    #expect(seen.requests.allSatisfy { $0.service == "ec2" && $0.path.hasPrefix("/services/compute") })
    #expect(seen.requests.map { $0.parameters.keys.sorted() } == [["Action", "Version"]])
  }

  /// A cloud that answers STS GetCallerIdentity (`Action=GetCallerIdentity&Version=2011-06-15`, signed for `sts`).
  @Test func stsAnswerGivesTheAccountAndArn() async throws {
    let seen = RequestLog()
    let stub = try EC2StubServer { req in
      seen.append(req)
      guard req.action == "GetCallerIdentity", req.service == "sts" else { return (400, Self.error("InvalidAction")) }
      let body = """
        <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
        <Arn>arn:aws:iam::210987654321:user/auditor</Arn><UserId>AIDAX</UserId><Account>210987654321</Account>
        </GetCallerIdentityResult></GetCallerIdentityResponse>
        """
      return (200, Array(body.utf8))
    }
    defer { stub.stop() }
    let lookup = await (try Self.client(stub.url)).lookUpAccount()
    #expect(
      lookup
        == .known(CloudAccount(id: "210987654321", source: .sts, arn: "arn:aws:iam::210987654321:user/auditor")))
    #expect(seen.requests.count == 1)
    #expect(seen.requests.first?.parameters == ["Action": "GetCallerIdentity", "Version": "2011-06-15"])
  }

  /// No STS (unknown action), security groups denied: the reservations' `ownerId` names the account.
  @Test func fallsBackToInstanceReservationsWhenGroupsAreDenied() async throws {
    let stub = try EC2StubServer { req in
      switch req.action {
      case "GetCallerIdentity": return (400, Self.error("InvalidAction"))
      case "DescribeSecurityGroups": return (403, Self.error("UnauthorizedOperation"))
      case "DescribeInstances": return (200, Array(Self.reservations.utf8))
      default: return (400, Self.error("InvalidAction"))
      }
    }
    defer { stub.stop() }
    let lookup = await (try Self.client(stub.url)).lookUpAccount()
    #expect(lookup == .known(CloudAccount(id: "000999888777", source: .ec2OwnerID)))
    #expect(stub.count("GetCallerIdentity") == 1)
  }

  @Test func nothingNamingAnOwnerIsUnknown() async throws {
    let stub = try EC2StubServer { req in
      switch req.action {
      case "DescribeSecurityGroups": return (200, Array("<R><securityGroupInfo/></R>".utf8))
      case "DescribeInstances": return (200, Array("<R><reservationSet/></R>".utf8))
      default: return (404, Array("<html>not found</html>".utf8))
      }
    }
    defer { stub.stop() }
    let lookup = await (try Self.client(stub.url)).lookUpAccount()
    guard case .unknown(let reason) = lookup else {
      Issue.record("expected unknown, got \(lookup)")
      return
    }
    #expect(reason.contains("DescribeSecurityGroups named no owner"))
    #expect(reason.contains("DescribeInstances named no owner"))
  }

  /// Refused credentials say nothing about the account: the lookup fails, it does not report unknown.
  @Test func authFailureIsAFailureNotUnknown() async throws {
    let stub = try EC2StubServer { _ in (401, Self.error("AuthFailure")) }
    defer { stub.stop() }
    let aws = await (try Self.client(stub.url)).lookUpAccount()
    #expect(aws == .failed(.authFailure(code: "AuthFailure", message: "AuthFailure here")))
    let euca = await (try Self.client(stub.url + "/services/compute")).lookUpAccount()
    #expect(euca == .failed(.authFailure(code: "AuthFailure", message: "AuthFailure here")))
    #expect(stub.count("DescribeInstances") == 0)  // nothing after the first refusal of an EC2 call
  }

  /// A resolved target asks through its first region unless told another, signed for that region.
  @Test func targetLooksUpThroughTheChosenRegion() async throws {
    let seen = RequestLog()
    let stub = try EC2StubServer { req in
      seen.append(req)
      return req.action == "DescribeSecurityGroups"
        ? (200, Array(Self.groups.utf8)) : (400, Self.error("InvalidAction"))
    }
    defer { stub.stop() }
    let target = try CloudConfigResolver(env: ["EC2_ACCESS_KEY": "AKIE", "EC2_SECRET_KEY": "s"], home: "/nonexistent")
      .resolve(.init(endpointURL: stub.url + "/services/compute", regions: ["east", "west"]))
    #expect(await target.lookUpAccount(timeout: 60) == .known(CloudAccount(id: "000123456789", source: .ec2OwnerID)))
    #expect(
      await target.lookUpAccount(region: "west", timeout: 60)
        == .known(CloudAccount(id: "000123456789", source: .ec2OwnerID)))
    #expect(seen.requests.map(\.region) == ["east", "west"])
    #expect(stub.count("GetCallerIdentity") == 0)
  }

  @Test func networkFailureIsAFailure() async throws {
    let closed = try MotoServer.freePort()
    let lookup = await (try Self.client("http://127.0.0.1:\(closed)")).lookUpAccount()
    guard case .failed(let e) = lookup else {
      Issue.record("expected failed, got \(lookup)")
      return
    }
    #expect(e.kind == "network")
  }
}

/// Records the requests a stub saw.
final class RequestLog: @unchecked Sendable {
  private let lock = NSLock()
  private var seen: [EC2StubRequest] = []

  func append(_ r: EC2StubRequest) { lock.withLock { seen.append(r) } }
  var requests: [EC2StubRequest] { lock.withLock { seen } }
}
