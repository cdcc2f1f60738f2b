import Cloud
import Foundation
import TestSupport
import Testing

struct RegionSweepTests {
  @Test func regionsFailIndependentlyAndKeepTheirOrder() async throws {
    let t = FixtureTransport { req, _ in
      let auth = req.header("Authorization") ?? ""
      if auth.contains("/ap-south-1/ec2/") {
        return HTTPResponse(status: 401, body: try fixture("error-AuthFailure.xml"))
      }
      return HTTPResponse(status: 200, body: try fixture("euca-describe-key-pairs.xml"))
    }
    let base = try testClient(t)
    let sweep = RegionSweep(maxConcurrent: 2) { base.with(region: $0) }
    let progress = SleepLog()
    let regions = ["us-east-1", "ap-south-1", "eu-west-1", "sa-east-1", "us-west-2"]
    let results = await sweep.describeKeyPairs(in: regions) { progress.append(Double($0)) }
    #expect(results.map(\.region) == regions)
    for r in results {
      switch r.result {
      case .success(let pairs): #expect(r.region != "ap-south-1" && pairs.count == 2)
      case .failure(let e): #expect(r.region == "ap-south-1" && e.kind == "auth")
      }
    }
    #expect(progress.delays.sorted() == [1, 2, 3, 4, 5])
    #expect(t.requests.count == 5)
  }

  /// A denied DescribeInstances is "could not ask" for that region, never "no instances": the count comes back as
  /// a typed failure, while a region that answers with no reservations counts 0.
  @Test func deniedDescribeInstancesIsAFailureNotZero() async throws {
    let denied = """
      <Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this \
      operation.</Message></Error></Errors><RequestID>r</RequestID></Response>
      """
    let stub = try EC2StubServer { req in
      if req.action == "DescribeInstances" && req.region == "eu-west-1" { return (403, Array(denied.utf8)) }
      return (200, Array("<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>".utf8))
    }
    defer { stub.stop() }
    let endpoint = try EC2Endpoint(url: stub.url, region: "us-east-1")
    let sweep = RegionSweep(maxConcurrent: 2) { region in
      EC2Client(
        endpoint: endpoint.with(region: region),
        credentials: AWSCredentials(accessKeyID: "AKIDX", secretAccessKey: "s"),
        retry: RetryPolicy(maxAttempts: 1), timeout: 60)
    }
    let counts = await sweep.instanceCounts(["eu-west-1": ["a", "b"], "us-east-1": ["a"]])
    #expect(
      counts["eu-west-1"]
        == .failure(.unauthorizedOperation(message: "You are not authorized to perform this operation.")))
    #expect(counts["us-east-1"] == .success(["a": 0]))
    #expect(stub.count("DescribeInstances") == 2)
  }
}
