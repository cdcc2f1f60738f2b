import Cloud
import KeyholdCrypto
import Testing

/// SigV4 pinned to values AWS published. Credentials in both: AKIDEXAMPLE /
/// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY at 2015-08-30T12:36:00Z (Unix 1440938160).
struct SigV4Tests {
  let creds = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
  let date = AMZDate(secondsSince1970: 1_440_938_160)

  @Test func amzDateFormatsUTC() {
    #expect(date.timestamp == "20150830T123600Z")
    #expect(date.day == "20150830")
    #expect(AMZDate(secondsSince1970: 0).timestamp == "19700101T000000Z")
    #expect(AMZDate(secondsSince1970: 951_782_400).day == "20000229")  // leap day
  }

  /// AWS General Reference, "Signature Version 4 signing process" worked example: IAM `ListUsers` as a GET with
  /// `Action=ListUsers&Version=2010-05-08` and a form content type. Published: canonical request hash
  /// f536975d..., signing key c4afb1cc..., signature 5d672d79....
  @Test func iamListUsersExampleMatchesPublishedSignature() {
    let signer = SigV4Signer(credentials: creds, region: "us-east-1", service: "iam")
    let headers = [
      ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "iam.amazonaws.com"),
      ("X-Amz-Date", "20150830T123600Z"),
    ]
    let query = [("Version", "2010-05-08"), ("Action", "ListUsers")]
    let (canonical, signed) = signer.canonicalRequest(
      method: "GET", path: "/", query: query, headers: headers, body: [])
    #expect(signed == "content-type;host;x-amz-date")
    #expect(
      Hex.encode(Digest.sha256(Array(canonical.utf8)))
        == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    #expect(
      Hex.encode(signer.signingKey(day: "20150830"))
        == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
    let auth = signer.sign(
      method: "GET", path: "/", query: query, headers: Array(headers.prefix(2)), body: [], date: date)
    #expect(
      auth.last?.1
        == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        + "SignedHeaders=content-type;host;x-amz-date, "
        + "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
  }

  /// AWS SigV4 test suite, case `get-vanilla`: `GET /` to example.amazonaws.com, service `service`.
  @Test func getVanillaTestSuiteCase() {
    let signer = SigV4Signer(credentials: creds, region: "us-east-1", service: "service")
    let auth = signer.sign(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")], body: [], date: date)
    #expect(auth.first?.0 == "X-Amz-Date")
    #expect(
      auth.last?.1
        == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        + "SignedHeaders=host;x-amz-date, "
        + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
  }

  @Test func sessionTokenIsSentAndSigned() {
    var c = creds
    c.sessionToken = "TOKEN/+="
    let signer = SigV4Signer(credentials: c, region: "us-east-1", service: "ec2")
    let auth = signer.sign(method: "POST", path: "/", headers: [("Host", "h")], body: [], date: date)
    #expect(auth.contains { $0.0 == "X-Amz-Security-Token" && $0.1 == "TOKEN/+=" })
    #expect(auth.last?.1.contains("SignedHeaders=host;x-amz-date;x-amz-security-token") == true)
  }

  @Test func uriEncodingKeepsOnlyUnreserved() {
    #expect(SigV4Signer.uriEncode("a b+c/d~e_f.g-h*") == "a%20b%2Bc%2Fd~e_f.g-h%2A")
    #expect(SigV4Signer.uriEncode("é") == "%C3%A9")
  }

  @Test func ec2RequestIsSignedForRegionAndService() throws {
    let client = try testClient(
      FixtureTransport { _, _ in HTTPResponse(status: 200, body: []) },
      url: "http://127.0.0.1:5000/services/compute", region: "eu1")
    let req = client.request(action: "DescribeKeyPairs", parameters: [], at: 1_440_938_160)
    #expect(req.method == "POST")
    #expect(req.url == "http://127.0.0.1:5000/services/compute")
    #expect(req.header("Host") == "127.0.0.1:5000")
    #expect(String(decoding: req.body, as: UTF8.self) == "Action=DescribeKeyPairs&Version=2016-11-15")
    #expect(req.header("Authorization")?.contains("Credential=AKIDEXAMPLE/20150830/eu1/ec2/aws4_request") == true)
  }
}
