import Cloud
import Foundation
import TestSupport

/// The folder holding Package.swift, found from this file's path.
let repoRoot = Repository.root

/// The bytes of `testdata/cloud/NAME`.
func fixture(_ name: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: repoRoot.appendingPathComponent("testdata/cloud/\(name)")))
}

/// `fixtures.expect` as name → (kind, fingerprint).
func expectedFingerprints() throws -> [String: (kind: String, value: String)] {
  let text = String(decoding: try fixture("fixtures.expect"), as: UTF8.self)
  var out: [String: (String, String)] = [:]
  for line in text.split(separator: "\n") where !line.hasPrefix("#") {
    let f = line.split(separator: " ").map(String.init)
    if f.count == 3 { out[f[0]] = (f[1], f[2]) }
  }
  return out
}

/// The form parameters of a request body.
func formParameters(_ body: [UInt8]) -> [String: String] {
  var out: [String: String] = [:]
  for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
    let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
    out[kv[0]] = kv.count > 1 ? kv[1] : ""
  }
  return out
}

/// A transport that answers from a closure and records every request.
final class FixtureTransport: HTTPTransport, @unchecked Sendable {
  private let lock = NSLock()
  private var recorded: [HTTPRequest] = []
  private let handler: @Sendable (HTTPRequest, Int) throws -> HTTPResponse

  init(_ handler: @escaping @Sendable (HTTPRequest, Int) throws -> HTTPResponse) { self.handler = handler }

  var requests: [HTTPRequest] { lock.withLock { recorded } }

  func send(_ request: HTTPRequest) async throws -> HTTPResponse {
    let n = lock.withLock {
      recorded.append(request)
      return recorded.count
    }
    return try handler(request, n)
  }
}

/// Answers like Eucalyptus 4: any query parameter it does not know is refused with a 400 error, and answers come
/// from the recorded Eucalyptus fixtures.
func eucalyptusTransport() -> FixtureTransport {
  let allowed: [String: [String]] = [
    "DescribeKeyPairs": ["KeyName.", "Filter."], "CreateKeyPair": ["KeyName"], "DeleteKeyPair": ["KeyName"],
    "ImportKeyPair": ["KeyName", "PublicKeyMaterial"],
  ]
  let answers: [String: String] = [
    "DescribeKeyPairs": "euca-describe-key-pairs.xml", "CreateKeyPair": "euca-create-key-pair.xml",
    "DeleteKeyPair": "euca-delete-key-pair-missing.xml", "ImportKeyPair": "euca-import-key-pair.xml",
  ]
  return FixtureTransport { req, _ in
    let params = formParameters(req.body)
    let action = params["Action"] ?? ""
    guard URL(string: req.url)?.path.hasPrefix("/services/compute") == true, let prefixes = allowed[action] else {
      return HTTPResponse(
        status: 400,
        body: Array(
          "<Response><Errors><Error><Code>InvalidAction</Code><Message>\(action)</Message></Error></Errors></Response>"
            .utf8))
    }
    for name in params.keys where name != "Action" && name != "Version" {
      if !prefixes.contains(where: { name == $0 || ($0.hasSuffix(".") && name.hasPrefix($0)) }) {
        let body =
          "<Response><Errors><Error><Code>UnknownParameter</Code><Message>The parameter \(name) is not recognized</Message></Error></Errors><RequestID>x</RequestID></Response>"
        return HTTPResponse(status: 400, body: Array(body.utf8))
      }
    }
    return HTTPResponse(status: 200, body: try fixture(answers[action]!))
  }
}

/// A client with a fixed clock and no real sleeping; the delays it would have slept are recorded.
func testClient(
  _ transport: any HTTPTransport, url: String = "https://ec2.us-east-1.amazonaws.com/", region: String = "us-east-1",
  flavor: CloudFlavor? = nil, sleeps: SleepLog = SleepLog()
) throws -> EC2Client {
  let retry = RetryPolicy(
    maxAttempts: 4, baseDelay: 0.5, maxDelay: 4, sleep: { s in sleeps.append(s) }, random: { 0.5 })
  return EC2Client(
    endpoint: try EC2Endpoint(url: url, region: region, flavor: flavor),
    credentials: AWSCredentials(
      accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
    transport: transport, clock: { 1_440_938_160 }, retry: retry, timeout: 5)
}

/// Records the back-off delays a client asked for.
final class SleepLog: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Double] = []
  func append(_ v: Double) { lock.withLock { values.append(v) } }
  var delays: [Double] { lock.withLock { values } }
}
