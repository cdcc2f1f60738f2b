import Cloud
import Testing

struct EndpointIdentityTests {
  static let creds = AWSCredentials(accessKeyID: "AKIDX", secretAccessKey: "s")

  static func awsTarget(_ regions: [String]) -> CloudTarget {
    CloudTarget(
      credentials: creds, endpoint: .aws(region: regions[0]), regions: regions, usesAWSPublicEndpoints: true,
      source: "test")
  }

  /// botocore's partitions: `aws`, `aws-cn` (cn-*), `aws-us-gov` (us-gov-*), `aws-iso` (us-iso-*), `aws-iso-b`
  /// (us-isob-*).
  @Test(arguments: [
    ("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
  ])
  func awsPublicEndpointsAreNamedByPartition(_ region: String, _ partition: String) {
    #expect(Self.awsTarget([region]).endpointIdentity == partition)
    #expect(EC2Endpoint.partition(ofRegion: region) == partition)
    #expect(Self.awsTarget(["eu-west-1", region]).endpointIdentity(for: region) == partition)
  }

  @Test(arguments: [
    ("HTTP://Cloud.Example:80/services/compute", "http://cloud.example/services/compute/"),
    ("https://cloud.example:443//services//compute/", "https://cloud.example/services/compute/"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000/"),
    ("http://127.0.0.1:5000/?x=1#y", "http://127.0.0.1:5000/"),
    ("https://c.example:8773/services/compute?Action=x", "https://c.example:8773/services/compute/"),
    ("http://[::1]:8080/a", "http://[::1]:8080/a/"),
    ("https://ec2.eu-west-1.amazonaws.com/", "aws"),
    ("https://EC2.cn-north-1.amazonaws.com.cn", "aws-cn"),
  ])
  func urlsAreCanonicalised(_ url: String, _ identity: String) throws {
    #expect(EC2Endpoint.canonicalIdentity(of: url) == identity)
    let target = CloudTarget(
      credentials: Self.creds, endpoint: try EC2Endpoint(url: url, region: "r"), regions: ["r"],
      usesAWSPublicEndpoints: false, source: "test")
    #expect(target.endpointIdentity == identity)
  }

  @Test func notAURLHasNoIdentity() {
    #expect(EC2Endpoint.canonicalIdentity(of: "aws") == nil)
    #expect(EC2Endpoint.canonicalIdentity(of: "") == nil)
    #expect(EC2Endpoint.canonicalIdentity(of: "ftp://h/") == nil)
    #expect(EC2Endpoint.canonicalIdentity(of: "http://") == nil)
    #expect(EC2Endpoint.canonicalIdentity(of: "cloud.example/services/compute") == nil)
  }

  @Test func endpointNameIsUnchanged() throws {
    #expect(Self.awsTarget(["cn-north-1"]).endpointName == "aws")
    let t = CloudTarget(
      credentials: Self.creds, endpoint: try EC2Endpoint(url: "http://H:5000", region: "r"), regions: ["r"],
      usesAWSPublicEndpoints: false, source: "test")
    #expect(t.endpointName == "http://h:5000/")
  }

  /// STS has regional endpoints `sts.REGION.amazonaws.com` (`.amazonaws.com.cn` in China); a custom endpoint is
  /// asked on its own URL; Eucalyptus is never asked.
  @Test func stsGoesToTheRegionalHostOrTheSameURL() throws {
    func client(_ url: String, _ region: String, _ flavor: CloudFlavor? = nil) throws -> EC2Client {
      EC2Client(endpoint: try EC2Endpoint(url: url, region: region, flavor: flavor), credentials: Self.creds)
    }
    #expect(
      EC2Client(endpoint: .aws(region: "eu-west-1"), credentials: Self.creds).stsEndpoint?.url
        == "https://sts.eu-west-1.amazonaws.com/")
    #expect(
      EC2Client(endpoint: .aws(region: "cn-north-1"), credentials: Self.creds).stsEndpoint?.url
        == "https://sts.cn-north-1.amazonaws.com.cn/")
    #expect(try client("http://127.0.0.1:5000", "us-east-1").stsEndpoint?.url == "http://127.0.0.1:5000/")
    #expect(try client("http://c:8773/services/compute", "euca").stsEndpoint == nil)
    #expect(try client("http://c:8773/", "euca", .eucalyptus).stsEndpoint == nil)
  }
}
