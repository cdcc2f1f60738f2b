import Cloud
import Foundation
import KeyholdCrypto
import TestSupport
import Testing

/// An SSH public key blob of `type` (RFC 4253 §6.6: the type string, then `body` as one more string).
func keyBlob(_ type: String, _ body: [UInt8] = [UInt8](repeating: 7, count: 32)) -> [UInt8] {
  func string(_ b: [UInt8]) -> [UInt8] {
    [UInt8(b.count >> 24 & 0xff), UInt8(b.count >> 16 & 0xff), UInt8(b.count >> 8 & 0xff), UInt8(b.count & 0xff)] + b
  }
  return string(Array(type.utf8)) + string(body)
}

func keyField(_ type: String, _ fill: UInt8 = 7) -> String {
  type + " " + Base64.encode(keyBlob(type, [UInt8](repeating: fill, count: 32)))
}

/// The console parser: only complete cloud-init blocks, only key types OpenSSH knows, whatever the console holds.
@Suite struct ConsoleHostKeysTests {
  @Test func readsTheCloudInitBlockWithCRsAndPrefixes() {
    let ed = keyField("ssh-ed25519")
    let ec = keyField("ecdsa-sha2-nistp256", 9)
    let console = """
      [   12.3] cloud-init[812]: Generating public/private ed25519 key pair.\r
      ec2: #############################################################\r
      -----BEGIN SSH HOST KEY FINGERPRINTS-----\r
      ec2: 256 SHA256:abc root@host (ED25519)\r
      -----END SSH HOST KEY FINGERPRINTS-----\r
      ec2: -----BEGIN SSH HOST KEY KEYS-----\r
      ec2: \(ed) root@ip-10-0-0-1\r
      \(ec) root@ip-10-0-0-1\r
      random junk between the keys\r
      ec2: -----END SSH HOST KEY KEYS-----\r
      ec2: \(keyField("ssh-rsa")) after the block\r
      """
    #expect(ConsoleHostKeys.parse(console) == [ed, ec])
  }

  @Test func emptyOrBlocklessConsoleHasNoKeys() {
    #expect(ConsoleHostKeys.parse("").isEmpty)
    #expect(ConsoleHostKeys.parse("Booting...\n\(keyField("ssh-ed25519"))\n").isEmpty)
  }

  @Test func hostileLinesAreIgnored() {
    let good = keyField("ssh-ed25519")
    let console = [
      "-----BEGIN SSH HOST KEY KEYS-----",
      "ssh-foo " + Base64.encode(keyBlob("ssh-foo")),  // a type OpenSSH does not know
      "ssh-rsa " + Base64.encode(keyBlob("ssh-ed25519")),  // blob of another type
      "ssh-ed25519 !!!notbase64!!!",
      "ssh-ed25519",
      "ssh-ed25519 " + Base64.encode([0, 0, 0, 200, 1, 2]),  // length past the end
      String(repeating: "A", count: 100_000),
      "\u{0}\u{1b}[31m" + good + "\u{0}",
      good,
      good,  // printed twice, kept once
      "-----END SSH HOST KEY KEYS-----",
    ].joined(separator: "\n")
    #expect(ConsoleHostKeys.parse(console) == [good])
  }

  @Test func aFloodOfKeysIsCapped() {
    var lines = ["-----BEGIN SSH HOST KEY KEYS-----"]
    for i in 0..<100 { lines.append(keyField("ssh-ed25519", UInt8(i))) }
    lines.append("-----END SSH HOST KEY KEYS-----")
    #expect(ConsoleHostKeys.parse(lines.joined(separator: "\n")).count == ConsoleHostKeys.maxKeys)
  }

  @Test func anUnterminatedBlockStillYieldsItsKeys() {
    // A console cut off mid-block (the cloud keeps only the last 64 KB) keeps what it printed.
    let ed = keyField("ssh-ed25519")
    #expect(ConsoleHostKeys.parse("-----BEGIN SSH HOST KEY KEYS-----\n\(ed)\n") == [ed])
  }
}

/// DescribeInstances and GetConsoleOutput answers, AWS and Eucalyptus shapes, and NextToken pagination.
@Suite struct InstanceListingTests {
  static let awsPage = """
    <DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
      <reservationSet><item><reservationId>r-1</reservationId><instancesSet>
        <item><instanceId>i-0a</instanceId><instanceState><code>16</code><name>running</name></instanceState>
          <privateDnsName>ip-10-0-0-5.ec2.internal</privateDnsName><dnsName>ec2-203-0-113-7.compute-1.amazonaws.com</dnsName>
          <keyName>web</keyName><launchTime>2026-12-01T10:00:00.000Z</launchTime>
          <privateIpAddress>10.0.0.5</privateIpAddress><ipAddress>203.0.113.7</ipAddress>
          <tagSet><item><key>env</key><value>prod</value></item><item><key>Name</key><value>web-1</value></item></tagSet>
        </item>
        <item><instanceId>i-0b</instanceId><instanceState><name>stopped</name></instanceState><dnsName/></item>
      </instancesSet></item></reservationSet>
    </DescribeInstancesResponse>
    """

  @Test func readsEveryFieldOfAnAWSAnswer() throws {
    let (instances, token) = ListedInstance.page(try XMLScanner.parse(Array(Self.awsPage.utf8)))
    #expect(token == nil)
    #expect(
      instances == [
        ListedInstance(
          id: "i-0a", name: "web-1", state: "running", publicIP: "203.0.113.7", privateIP: "10.0.0.5",
          publicDNS: "ec2-203-0-113-7.compute-1.amazonaws.com", privateDNS: "ip-10-0-0-5.ec2.internal",
          keyName: "web", launchTime: "2026-12-01T10:00:00.000Z"),
        ListedInstance(id: "i-0b", state: "stopped"),
      ])
  }

  @Test func readsTheEucalyptusShape() throws {
    // Eucalyptus 4 answers with the euca namespace prefix and 0.0.0.0 for an instance without an address.
    let euca = """
      <euca:DescribeInstancesResponse xmlns:euca="http://ec2.amazonaws.com/doc/2013-06-15/">
        <euca:reservationSet><euca:item><euca:instancesSet><euca:item>
          <euca:instanceId>i-4A1B</euca:instanceId><euca:instanceState><euca:name>pending</euca:name></euca:instanceState>
          <euca:ipAddress>0.0.0.0</euca:ipAddress><euca:privateIpAddress>172.16.0.9</euca:privateIpAddress>
          <euca:keyName>lab</euca:keyName>
        </euca:item></euca:instancesSet></euca:item></euca:reservationSet>
      </euca:DescribeInstancesResponse>
      """
    let (instances, _) = ListedInstance.page(try XMLScanner.parse(Array(euca.utf8)))
    #expect(instances == [ListedInstance(id: "i-4A1B", state: "pending", privateIP: "172.16.0.9", keyName: "lab")])
  }

  @Test func itemsWithoutAnIdAreSkipped() throws {
    let xml =
      "<R><reservationSet><item><instancesSet><item><keyName>x</keyName></item></instancesSet></item>"
      + "</reservationSet><nextToken></nextToken></R>"
    let (instances, token) = ListedInstance.page(try XMLScanner.parse(Array(xml.utf8)))
    #expect(instances.isEmpty)
    #expect(token == nil)
  }

  @Test func followsNextTokenAcrossPagesAndStopsAtTheCap() async throws {
    let stub = try EC2StubServer { r in
      let token = r.parameters["NextToken"].flatMap(Int.init) ?? 0
      let next = token < 2 ? "<nextToken>\(token + 1)</nextToken>" : ""
      let xml =
        "<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>i-\(token)"
        + "</instanceId><instanceState><name>running</name></instanceState></item></instancesSet></item>"
        + "</reservationSet>\(next)</DescribeInstancesResponse>"
      return (200, Array(xml.utf8))
    }
    defer { stub.stop() }
    let client = EC2Client(
      endpoint: try EC2Endpoint(url: stub.url, region: "us-east-1"),
      credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s"), timeout: 60)
    #expect(try await client.describeInstances().map(\.id) == ["i-0", "i-1", "i-2"])
    #expect(stub.count("DescribeInstances") == 3)

    let endless = try EC2StubServer { r in
      let xml = "<DescribeInstancesResponse><reservationSet/><nextToken>again</nextToken></DescribeInstancesResponse>"
      return (200, Array(xml.utf8))
    }
    defer { endless.stop() }
    var forever = client
    forever.endpoint = try EC2Endpoint(url: endless.url, region: "us-east-1")
    #expect(try await forever.describeInstances(maxPages: 5).isEmpty)
    #expect(endless.count("DescribeInstances") == 5)
  }

  @Test func consoleOutputAbsentEmptyOrBase64() throws {
    func text(_ xml: String) throws -> String { try EC2Client.consoleText(try XMLScanner.parse(Array(xml.utf8))) }
    #expect(try text("<GetConsoleOutputResponse><instanceId>i-1</instanceId></GetConsoleOutputResponse>") == "")
    #expect(try text("<GetConsoleOutputResponse><output/></GetConsoleOutputResponse>") == "")
    let encoded = Base64.encode(Array("line one\r\nline two\n".utf8))
    #expect(
      try text("<GetConsoleOutputResponse><output>\n\(encoded)\n</output></GetConsoleOutputResponse>")
        == "line one\r\nline two\n")
    #expect(throws: CloudError.self) {
      try text("<GetConsoleOutputResponse><output>!!</output></GetConsoleOutputResponse>")
    }
  }
}

/// DescribeInstances against moto_server after RunInstances with a KeyName.
@Suite(.enabled(if: MotoServer.isInstalled, "moto_server is not installed"))
struct MotoInstanceTests {
  @Test func listsInstancesLaunchedWithAKeyName() async throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let east = try MotoTests.client(moto, region: "us-east-1")
    _ = try await east.createKeyPair(name: "fleet")
    let images = try await east.call("DescribeImages", [("Owner.1", "amazon")])
    let ami = try #require(images.items(of: "imagesSet").first?.value("imageId"))
    _ = try await east.call(
      "RunInstances",
      [
        ("ImageId", ami), ("MinCount", "2"), ("MaxCount", "2"), ("KeyName", "fleet"),
        ("TagSpecification.1.ResourceType", "instance"), ("TagSpecification.1.Tag.1.Key", "Name"),
        ("TagSpecification.1.Tag.1.Value", "worker"),
      ])
    let listed = try await east.describeInstances()
    #expect(listed.count == 2)
    for i in listed {
      #expect(i.id.hasPrefix("i-"))
      #expect(i.keyName == "fleet")
      #expect(i.name == "worker")
      #expect(i.state == "running")
      #expect(i.privateIP != nil)
      #expect(i.launchTime != nil)
    }
    // moto keeps no console; its answer must read as "nothing yet", not as an error.
    _ = try await east.consoleOutput(instanceID: listed[0].id)
  }
}
