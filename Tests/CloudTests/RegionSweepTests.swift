import Cloud
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
}
