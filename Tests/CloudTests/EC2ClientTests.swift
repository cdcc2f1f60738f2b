import Cloud
import Foundation
import Testing

struct EC2ClientTests {
  static func answering(_ name: String, status: Int = 200) -> FixtureTransport {
    FixtureTransport { _, _ in HTTPResponse(status: status, body: try fixture(name)) }
  }

  @Test func describeKeyPairsReadsAWSItemsWithPublicKeys() async throws {
    let t = Self.answering("aws-describe-key-pairs.xml")
    let pairs = try await testClient(t).describeKeyPairs()
    let expect = try expectedFingerprints()
    #expect(pairs.map(\.keyName) == ["aws-created", "aws-imported", "aws-ed25519", "legacy <2014> été"])
    #expect(pairs[0].keyFingerprint == expect["aws-created"]?.value)
    #expect(pairs[1].keyFingerprint == expect["aws-imported"]?.value)
    #expect(pairs[2].keyFingerprint == expect["aws-ed25519"]?.value)
    #expect(pairs[0].keyPairId == "key-0a1b2c3d4e5f60001")
    #expect(pairs[2].keyType == "ed25519")
    #expect(pairs[1].publicKey?.hasPrefix("ssh-rsa AAAA") == true)
    #expect(pairs[3].keyType == nil)  // older key pairs carry no keyType
    #expect(pairs[0].createTime == "2026-11-02T09:15:00.000Z")
    #expect(pairs[0].keyType == "rsa")
    #expect(pairs[3].keyPairId == "key-0a1b2c3d4e5f60004")
    let params = formParameters(t.requests[0].body)
    #expect(params == ["Action": "DescribeKeyPairs", "Version": "2016-11-15", "IncludePublicKey": "true"])
  }

  @Test func reorderedPrefixedListingReadsTheSame() async throws {
    let pairs = try await testClient(Self.answering("aws-describe-key-pairs-reordered.xml")).describeKeyPairs()
    #expect(pairs.count == 1)
    #expect(pairs[0].keyName == "aws-ed25519")
    #expect(pairs[0].keyFingerprint == (try expectedFingerprints())["aws-ed25519"]?.value)
    #expect(pairs[0].keyPairId == "key-0a1b2c3d4e5f60003")
  }

  @Test func eucalyptusListingHasOnlyNamesAndFingerprints() async throws {
    let t = eucalyptusTransport()
    let client = try testClient(t, url: "http://euca.example:8773/services/compute/", region: "eucalyptus")
    #expect(client.endpoint.flavor == .eucalyptus)
    let pairs = try await client.describeKeyPairs()
    let expect = try expectedFingerprints()
    #expect(pairs.map(\.keyName) == ["euca-created", "euca-imported"])
    #expect(pairs.allSatisfy { $0.keyPairId == nil && $0.keyType == nil && $0.publicKey == nil })
    // Eucalyptus shows an imported RSA key as the MD5 of its SSH blob (ssh-keygen -E md5).
    #expect(pairs[1].keyFingerprint == expect["euca-imported"]?.value)
    #expect(expect["euca-imported"]?.kind == "md5-ssh")
    #expect(formParameters(t.requests[0].body).keys.sorted() == ["Action", "Version"])
  }

  @Test func eucalyptusFixtureRejectsAWSOnlyParameters() async throws {
    // The strict fixture is only meaningful if it refuses what AWS accepts.
    var client = try testClient(eucalyptusTransport(), url: "http://euca.example:8773/services/compute/")
    client.endpoint.flavor = .aws
    await #expect(
      throws: CloudError.api(
        status: 400, code: "UnknownParameter",
        message: "The parameter IncludePublicKey is not recognized")
    ) { try await client.describeKeyPairs() }
  }

  @Test func eucalyptusCreateSendsNoKeyTypeAndRefusesEd25519() async throws {
    let t = eucalyptusTransport()
    let client = try testClient(t, url: "http://euca.example:8773/services/compute")
    let created = try await client.createKeyPair(name: "euca-created", type: "rsa")
    #expect(created.keyPair.keyPairId == nil)
    #expect(created.keyMaterial.starts(with: Array("-----BEGIN RSA PRIVATE KEY-----".utf8)))
    #expect(formParameters(t.requests[0].body)["KeyType"] == nil)
    await #expect(throws: CloudError.self) { try await client.createKeyPair(name: "x", type: "ed25519") }
    #expect(t.requests.count == 1)
  }

  @Test func eucalyptusImportPassesTheStrictParameterCheck() async throws {
    let t = eucalyptusTransport()
    let client = try testClient(t, url: "http://euca.example:8773/services/compute")
    let pub = String(decoding: try fixture("keys/euca-imported.pub"), as: UTF8.self)
    let pair = try await client.importKeyPair(name: "euca-imported", publicKeyLine: pub)
    #expect(pair.keyFingerprint == (try expectedFingerprints())["euca-imported"]?.value)
    #expect(pair.keyPairId == nil)
    #expect(formParameters(t.requests[0].body).keys.sorted() == ["Action", "KeyName", "PublicKeyMaterial", "Version"])
  }

  @Test func eucalyptusMissingDeleteAnswersFalse() async throws {
    let client = try testClient(eucalyptusTransport(), url: "http://euca.example:8773/services/compute")
    #expect(try await client.deleteKeyPair(name: "gone") == false)
    #expect(try await testClient(Self.answering("aws-delete-key-pair.xml")).deleteKeyPair(name: "x") == true)
  }

  @Test func importSendsBase64OfThePublicLine() async throws {
    let t = Self.answering("aws-import-key-pair.xml")
    let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample comment"
    let pair = try await testClient(t).importKeyPair(name: "aws-imported", publicKeyLine: line + "\n")
    #expect(pair.keyName == "aws-imported")
    let p = formParameters(t.requests[0].body)
    #expect(p["PublicKeyMaterial"] == Data(line.utf8).base64EncodedString())
    #expect(p["KeyName"] == "aws-imported")
  }

  @Test func createOnAWSSendsKeyTypeAndReturnsMaterial() async throws {
    let t = Self.answering("aws-create-key-pair.xml")
    let created = try await testClient(t).createKeyPair(name: "aws-created", type: "ed25519")
    #expect(formParameters(t.requests[0].body)["KeyType"] == "ed25519")
    #expect(created.keyPair.keyPairId == "key-0a1b2c3d4e5f60001")
    let pem = try fixture("keys/aws-created")
    #expect(created.keyMaterial == pem.dropLastNewline())
    #expect(!created.description.contains("PRIVATE"))
  }

  struct ErrorCase: Sendable, CustomTestStringConvertible {
    let file: String
    let status: Int
    let kind: String
    var testDescription: String { file }
  }

  @Test(arguments: [
    ErrorCase(file: "error-AuthFailure.xml", status: 401, kind: "auth"),
    ErrorCase(file: "error-InvalidKeyPair.NotFound.xml", status: 400, kind: "not-found"),
    ErrorCase(file: "error-InvalidKeyPair.Duplicate.xml", status: 400, kind: "duplicate"),
    ErrorCase(file: "error-UnauthorizedOperation.xml", status: 403, kind: "unauthorized"),
    ErrorCase(file: "error-RequestLimitExceeded.xml", status: 503, kind: "throttling"),
    ErrorCase(file: "error-InternalError.xml", status: 500, kind: "server"),
  ])
  func errorBodiesBecomeTypedErrors(_ c: ErrorCase) async throws {
    let sleeps = SleepLog()
    let client = try testClient(Self.answering(c.file, status: c.status), sleeps: sleeps)
    do {
      _ = try await client.describeKeyPairs()
      Issue.record("no error thrown")
    } catch {
      #expect(error.kind == c.kind)
      #expect(!error.description.isEmpty && error.description.first!.isLowercase)
    }
    // Only throttling and 5xx are retried (three retries after the first attempt).
    #expect(sleeps.delays.count == (c.kind == "throttling" || c.kind == "server" ? 3 : 0))
  }

  @Test func throttlingThenSuccessBacksOffExponentially() async throws {
    let t = FixtureTransport { _, n in
      n <= 2
        ? HTTPResponse(status: 503, body: try fixture("error-RequestLimitExceeded.xml"))
        : HTTPResponse(status: 200, body: try fixture("euca-describe-key-pairs.xml"))
    }
    let sleeps = SleepLog()
    let pairs = try await testClient(t, sleeps: sleeps).describeKeyPairs()
    #expect(pairs.count == 2)
    #expect(t.requests.count == 3)
    #expect(sleeps.delays == [0.25, 0.5])  // random() = 0.5 of ceilings 0.5 s and 1 s
  }

  @Test func non5xxGarbageIsTyped() async throws {
    let html = FixtureTransport { _, _ in HTTPResponse(status: 404, body: Array("<html><body>nope".utf8)) }
    await #expect(throws: CloudError.api(status: 404, code: "HTTP404", message: "<html><body>nope")) {
      try await testClient(html).describeKeyPairs()
    }
    let junk = FixtureTransport { _, _ in HTTPResponse(status: 200, body: Array("not xml".utf8)) }
    await #expect(throws: CloudError.self) { try await testClient(junk).describeKeyPairs() }
    let bad502 = FixtureTransport { _, _ in HTTPResponse(status: 502, body: []) }
    await #expect(throws: CloudError.server(status: 502, code: nil, message: nil)) {
      try await testClient(bad502).describeKeyPairs()
    }
  }

  @Test func transportFailuresBecomeNetworkAndTimeout() async throws {
    let refused = FixtureTransport { _, _ in throw TransportError.network("127.0.0.1: connection refused") }
    await #expect(throws: CloudError.network("127.0.0.1: connection refused")) {
      try await testClient(refused).describeKeyPairs()
    }
    let slow = FixtureTransport { req, _ in throw TransportError.timeout(seconds: req.timeout) }
    await #expect(throws: CloudError.timeout(seconds: 5)) { try await testClient(slow).describeKeyPairs() }
    #expect(slow.requests.count == 1)  // a timeout is not retried: the user is waiting
  }

  @Test func instanceCountsFollowNextToken() async throws {
    let t = FixtureTransport { req, n in
      HTTPResponse(status: 200, body: try fixture("aws-describe-instances-page\(n == 1 ? 1 : 2).xml"))
    }
    let counts = try await testClient(t).instanceCounts(keyNames: ["aws-created", "aws-imported", "unused"])
    #expect(counts == ["aws-created": 2, "aws-imported": 1, "unused": 0])
    #expect(t.requests.count == 2)
    let first = formParameters(t.requests[0].body)
    #expect(first["Filter.1.Name"] == "key-name")
    #expect(first["Filter.2.Name"] == "instance-state-name")
    #expect(first.values.contains("terminated") == false)
    #expect(formParameters(t.requests[1].body)["NextToken"] == "page-2")
  }

  @Test func describeRegionsListsNames() async throws {
    let regions = try await testClient(Self.answering("aws-describe-regions.xml")).describeRegions()
    #expect(
      regions == [
        CloudRegion(name: "eu-west-1", endpoint: "ec2.eu-west-1.amazonaws.com"),
        CloudRegion(name: "us-east-1", endpoint: "ec2.us-east-1.amazonaws.com"),
      ])
  }
}

extension Array where Element == UInt8 {
  func dropLastNewline() -> [UInt8] { last == 0x0a ? Array(dropLast()) : self }
}
