import Foundation
import TestSupport

/// The loopback EC2 endpoint of the cloud benchmark: every DescribeKeyPairs is answered with the recorded body of the
/// region named in the request's SigV4 credential scope; DescribeInstances finds no instances anywhere, so orphaned
/// key pairs are in use by none; STS names the benchmark's account.
enum CloudReplayServer {
  static func start(bodies: ReplayBodies) throws -> EC2StubServer {
    try EC2StubServer { request in
      if request.action == "DescribeInstances" {
        return (200, Array("<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>".utf8))
      }
      if request.action == "GetCallerIdentity" {
        let id = CloudBench.accountID
        let body =
          "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>\(id)</Account>"
          + "<Arn>arn:aws:iam::\(id):user/bench</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>"
        return (200, Array(body.utf8))
      }
      if let recorded = bodies.get()[request.region] { return (200, recorded) }
      let error =
        "<Response><Errors><Error><Code>InvalidRegion</Code><Message>\(request.region)</Message></Error></Errors></Response>"
      return (400, Array(error.utf8))
    }
  }
}

/// The recorded answers, per region; set once the vault whose keys they list exists.
final class ReplayBodies: @unchecked Sendable {
  private let lock = NSLock()
  private var bodies: [String: [UInt8]] = [:]

  func set(_ b: [String: [UInt8]]) { lock.withLock { bodies = b } }
  func get() -> [String: [UInt8]] { lock.withLock { bodies } }
}

/// A benchmark setup failure.
struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
