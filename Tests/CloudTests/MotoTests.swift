import Cloud
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The EC2 client against a real moto_server (the same code path as production, over loopback HTTP).
@Suite(.enabled(if: MotoServer.isInstalled, "moto_server is not installed"))
struct MotoTests {
  static let creds = AWSCredentials(accessKeyID: "AKIDMOTOTEST", secretAccessKey: "secret")

  /// Seconds a moto answer may take. moto builds a region's backend on its first request to it, and on a loaded
  /// machine that alone can take longer than a real cloud's answer; a timeout here only costs time when the test
  /// fails anyway.
  static let patience: Double = 60

  static func client(_ moto: MotoServer, region: String, creds: AWSCredentials = creds) throws -> EC2Client {
    EC2Client(
      endpoint: try EC2Endpoint(url: moto.url, region: region), credentials: creds, transport: URLSessionTransport(),
      retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01), timeout: patience)
  }

  @Test func createImportDescribeDeleteInTwoRegions() async throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let east = try Self.client(moto, region: "us-east-1")
    let west = try Self.client(moto, region: "eu-west-1")

    let rsa = try await east.createKeyPair(name: "made-rsa", type: "rsa")
    #expect(String(decoding: rsa.keyMaterial.prefix(31), as: UTF8.self) == "-----BEGIN RSA PRIVATE KEY-----")
    #expect(rsa.keyPair.keyPairId?.hasPrefix("key-") == true)
    let ed = try await east.createKeyPair(name: "made-ed", type: "ed25519")
    #expect(!ed.keyMaterial.isEmpty)
    let pub = String(decoding: try fixture("keys/aws-imported.pub"), as: UTF8.self)
    let imported = try await west.importKeyPair(name: "uploaded", publicKeyLine: pub)
    #expect(imported.keyName == "uploaded")

    let eastList = try await east.describeKeyPairs()
    let westList = try await west.describeKeyPairs()
    #expect(Set(eastList.map(\.keyName)) == ["made-rsa", "made-ed"])
    #expect(westList.map(\.keyName) == ["uploaded"])
    #expect(eastList.first { $0.keyName == "made-rsa" }?.keyFingerprint == rsa.keyPair.keyFingerprint)

    await #expect(throws: CloudError.self) { try await east.createKeyPair(name: "made-rsa") }
    do {
      _ = try await east.createKeyPair(name: "made-rsa")
    } catch {
      #expect(error.kind == "duplicate")
    }

    try await east.deleteKeyPair(name: "made-rsa")
    #expect(try await east.describeKeyPairs().map(\.keyName) == ["made-ed"])
    #expect(try await west.describeKeyPairs().count == 1)
  }

  @Test func describeInstancesCountsKeyUse() async throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let east = try Self.client(moto, region: "us-east-1")
    _ = try await east.createKeyPair(name: "in-use")
    _ = try await east.createKeyPair(name: "idle")
    let images = try await east.call("DescribeImages", [("Owner.1", "amazon")])
    let ami = try #require(images.items(of: "imagesSet").first?.value("imageId"))
    let run = try await east.call(
      "RunInstances", [("ImageId", ami), ("MinCount", "2"), ("MaxCount", "2"), ("KeyName", "in-use")])
    let ids = run.items(of: "instancesSet").compactMap { $0.value("instanceId") }
    #expect(ids.count == 2)
    try await east.deleteKeyPair(name: "in-use")
    #expect(try await east.instanceCounts(keyNames: ["in-use", "idle"]) == ["in-use": 2, "idle": 0])
    _ = try await east.call("TerminateInstances", [("InstanceId.1", ids[0])])
    #expect(try await east.instanceCounts(keyNames: ["in-use"]) == ["in-use": 1])
    let west = try Self.client(moto, region: "eu-west-1")
    #expect(try await west.instanceCounts(keyNames: ["in-use"]) == ["in-use": 0])
  }

  /// With `INITIAL_NO_AUTH_ACTION_COUNT=3` moto lets three calls through unauthenticated (create an IAM user, give it
  /// a policy, make its access key) and then checks every signature.
  @Test func wrongSecretKeyIsAuthFailure() async throws {
    let moto = try MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
    defer { moto.stop() }
    let bootstrap = AWSCredentials(accessKeyID: "AKIDBOOTSTRAP", secretAccessKey: "x")
    _ = try await Self.iam(moto, bootstrap, [("Action", "CreateUser"), ("UserName", "auditor")])
    _ = try await Self.iam(
      moto, bootstrap,
      [
        ("Action", "PutUserPolicy"), ("UserName", "auditor"), ("PolicyName", "all"),
        ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
      ])
    let key = try await Self.iam(moto, bootstrap, [("Action", "CreateAccessKey"), ("UserName", "auditor")])
    let id = try #require(key.descendant("AccessKeyId")?.text)
    let secret = try #require(key.descendant("SecretAccessKey")?.text)

    let good = try Self.client(
      moto, region: "us-east-1", creds: AWSCredentials(accessKeyID: id, secretAccessKey: secret))
    #expect(try await good.describeKeyPairs().isEmpty)
    let bad = try Self.client(
      moto, region: "us-east-1", creds: AWSCredentials(accessKeyID: id, secretAccessKey: secret + "x"))
    do {
      _ = try await bad.describeKeyPairs()
      Issue.record("a wrong secret key was accepted")
    } catch {
      #expect(error.kind == "auth")
      #expect(error.description.contains("AuthFailure"))
    }
  }

  @Test func unreachableEndpointIsANetworkErrorAndASilentOneTimesOut() async throws {
    // Bound but not listening: connections are refused, and no parallel test can start a server on the port.
    let (closedFD, closed) = try LoopbackListener.refusingPort()
    defer { close(closedFD) }
    let refused = EC2Client(
      endpoint: try EC2Endpoint(url: "http://127.0.0.1:\(closed)", region: "us-east-1"), credentials: Self.creds,
      timeout: Self.patience)
    do {
      _ = try await refused.describeKeyPairs()
      Issue.record("no error")
    } catch {
      #expect(error.kind == "network")
    }
    // A listener that never answers: the kernel completes the handshake, nothing is ever sent back. The short
    // timeout is what is tested; load can only make it fire later, never sooner.
    let (fd, port) = try Self.silentListener()
    defer { close(fd) }
    let silent = EC2Client(
      endpoint: try EC2Endpoint(url: "http://127.0.0.1:\(port)", region: "us-east-1"), credentials: Self.creds,
      timeout: 1)
    do {
      _ = try await silent.describeKeyPairs()
      Issue.record("no error")
    } catch {
      #expect(error == .timeout(seconds: 1))
    }
  }

  static func silentListener() throws -> (Int32, Int) {
    let (fd, port) = try LoopbackListener.open(backlog: 8)
    return (fd, port)
  }

  /// One IAM Query call (service `iam`, version 2010-05-08), signed with SigV4.
  static func iam(_ moto: MotoServer, _ creds: AWSCredentials, _ params: [(String, String)]) async throws -> XMLElement
  {
    let body = Array(
      (params + [("Version", "2010-05-08")]).map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }
        .joined(separator: "&").utf8)
    let host = "127.0.0.1:\(moto.port)"
    let headers = [("Host", host), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
    let auth = SigV4Signer(credentials: creds, region: "us-east-1", service: "iam").sign(
      method: "POST", path: "/", headers: headers, body: body,
      date: AMZDate(secondsSince1970: Int64(Date().timeIntervalSince1970)))
    let response = try await URLSessionTransport().send(
      HTTPRequest(
        method: "POST", url: moto.url + "/", headers: (headers + auth).map { (name: $0.0, value: $0.1) },
        body: body, timeout: patience))
    #expect(response.status == 200)
    return try XMLScanner.parse(response.body)
  }
}

/// The account lookup against moto, which answers STS GetCallerIdentity and EC2 DescribeSecurityGroups on one port
/// (both with account 123456789012). One server for both cases: every extra moto_server slows the others.
extension MotoTests {
  @Test func accountComesFromSTSOrElseFromTheSecurityGroupOwner() async throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    // moto builds a region's EC2 backend (default VPC and security group) on its first request: slow when the
    // machine is busy, so these calls get a generous timeout.
    var sts = try Self.client(moto, region: "us-east-1")
    sts.timeout = 90
    let lookup = await sts.lookUpAccount()
    guard case .known(let account) = lookup else {
      Issue.record("expected a known account, got \(lookup)")
      return
    }
    #expect(account.id == "123456789012")
    #expect(account.source == .sts)
    #expect(account.arn?.hasPrefix("arn:aws:") == true)

    // With STS refused in front of moto (an unknown action, as a cloud without STS answers), the default security
    // group's `ownerId` names the account.
    let refusing = STSRefusingTransport(next: URLSessionTransport())
    var client = try Self.client(moto, region: "eu-west-1")
    client.transport = refusing
    client.timeout = 90
    let fallback = await client.lookUpAccount()
    #expect(fallback == .known(CloudAccount(id: "123456789012", source: .ec2OwnerID)))
    #expect(refusing.refused == 1)
  }
}

/// Answers every request signed for `sts` with `InvalidAction` and passes the rest on.
final class STSRefusingTransport: HTTPTransport, @unchecked Sendable {
  let next: any HTTPTransport
  private let lock = NSLock()
  private var refusedCount = 0

  init(next: any HTTPTransport) { self.next = next }

  var refused: Int { lock.withLock { refusedCount } }

  func send(_ request: HTTPRequest) async throws -> HTTPResponse {
    guard request.header("Authorization")?.contains("/sts/aws4_request") == true else {
      return try await next.send(request)
    }
    lock.withLock { refusedCount += 1 }
    let body =
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>no sts here</Message></Error>"
      + "<RequestId>r</RequestId></ErrorResponse>"
    return HTTPResponse(status: 400, body: Array(body.utf8))
  }
}
