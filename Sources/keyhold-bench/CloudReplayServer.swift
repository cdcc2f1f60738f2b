import Foundation
import TestSupport

/// The loopback EC2 endpoint of the cloud benchmark: every DescribeKeyPairs is answered with the recorded body of the
/// region named in the request's SigV4 credential scope; DescribeInstances finds no instances anywhere, so orphaned
/// key pairs are in use by none.
enum CloudReplayServer {
  static func start(bodies: [String: [UInt8]]) throws -> EC2StubServer {
    try EC2StubServer { request in
      if request.action == "DescribeInstances" {
        return (200, Array("<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>".utf8))
      }
      if let recorded = bodies[request.region] { return (200, recorded) }
      let error =
        "<Response><Errors><Error><Code>InvalidRegion</Code><Message>\(request.region)</Message></Error></Errors></Response>"
      return (400, Array(error.utf8))
    }
  }
}

/// A benchmark setup failure.
struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
