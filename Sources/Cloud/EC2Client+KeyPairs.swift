import Foundation
import KeyholdCrypto

/// The key pair, region and instance calls keyhold makes.
extension EC2Client {
  /// Lists every key pair in the region with one unfiltered DescribeKeyPairs call: the call has no pagination, a
  /// region holds at most 5,000 key pairs (the EC2 user guide's quota), and the diff is done locally.
  ///
  /// On AWS it asks for the public keys too (`IncludePublicKey=true`); Eucalyptus gets no extra parameter.
  public func describeKeyPairs() async throws(CloudError) -> [CloudKeyPair] {
    let params: [(String, String)] = endpoint.flavor == .aws ? [("IncludePublicKey", "true")] : []
    let root = try await call("DescribeKeyPairs", params)
    var out: [CloudKeyPair] = []
    let items = root.items(of: "keySet")
    out.reserveCapacity(items.count)
    for item in items { out.append(try CloudKeyPair(element: item)) }
    return out
  }

  /// Makes a key pair in the cloud and returns it with its private key. `type` is `rsa` or `ed25519`; Eucalyptus
  /// knows no `KeyType` and makes RSA only.
  public func createKeyPair(name: String, type: String? = nil) async throws(CloudError) -> CreatedKeyPair {
    var params = [("KeyName", name)]
    if let type {
      switch endpoint.flavor {
      case .aws: params.append(("KeyType", type))
      case .eucalyptus:
        guard type == "rsa" else { throw .unsupported("eucalyptus makes rsa key pairs only, not \(type)") }
      }
    }
    let root = try await call("CreateKeyPair", params)
    let pair = try CloudKeyPair(element: root)
    guard let material = root.child("keyMaterial")?.text, !material.isEmpty else {
      throw .malformedResponse("CreateKeyPair answer without keyMaterial")
    }
    var bytes = Array(material.utf8)
    // Leading whitespace from pretty-printed XML is not part of the PEM.
    while let f = bytes.first, f == 0x20 || f == 0x0a || f == 0x0d || f == 0x09 { bytes.removeFirst() }
    return CreatedKeyPair(keyPair: pair, keyMaterial: bytes)
  }

  /// Uploads a public key under `name` (`PublicKeyMaterial` is the base64 of the OpenSSH public key line).
  public func importKeyPair(name: String, publicKeyLine: String) async throws(CloudError) -> CloudKeyPair {
    let material = Base64.encode(publicKeyLine.trimmingSpaces.utf8)
    let root = try await call("ImportKeyPair", [("KeyName", name), ("PublicKeyMaterial", material)])
    return try CloudKeyPair(element: root)
  }

  /// Deletes the key pair called `name`. Returns the service's `return` value: AWS answers true even for a missing
  /// name, Eucalyptus answers false.
  @discardableResult
  public func deleteKeyPair(name: String) async throws(CloudError) -> Bool {
    let root = try await call("DeleteKeyPair", [("KeyName", name)])
    return (root.value("return") ?? "true").lowercased() == "true"
  }

  /// Lists the regions the account may use.
  public func describeRegions() async throws(CloudError) -> [CloudRegion] {
    let root = try await call("DescribeRegions")
    return root.items(of: "regionInfo").compactMap { item in
      item.value("regionName").map { CloudRegion(name: $0, endpoint: item.value("regionEndpoint")) }
    }
  }

  /// Counts the instances, in any state but terminated, launched with each of `keyNames`.
  ///
  /// Uses DescribeInstances with a `key-name` filter (at most 200 values per call) and an `instance-state-name`
  /// filter, following `NextToken` until the listing ends. Names without instances map to 0.
  public func instanceCounts(keyNames: [String]) async throws(CloudError) -> [String: Int] {
    var counts: [String: Int] = [:]
    for n in keyNames { counts[n] = 0 }
    let unique = Array(Set(keyNames)).sorted()
    var start = 0
    while start < unique.count {
      let batch = unique[start..<min(start + 200, unique.count)]
      start += batch.count
      var base: [(String, String)] = [("Filter.1.Name", "key-name")]
      for (i, n) in batch.enumerated() { base.append(("Filter.1.Value.\(i + 1)", n)) }
      base.append(("Filter.2.Name", "instance-state-name"))
      for (i, s) in ["pending", "running", "shutting-down", "stopping", "stopped"].enumerated() {
        base.append(("Filter.2.Value.\(i + 1)", s))
      }
      var token: String?
      var pages = 0
      repeat {
        var params = base
        if let token { params.append(("NextToken", token)) }
        let root = try await call("DescribeInstances", params)
        for reservation in root.items(of: "reservationSet") {
          for instance in reservation.items(of: "instancesSet") {
            // Filters are applied by the service; re-check so a lax server cannot inflate the count.
            let state = instance.child("instanceState")?.value("name") ?? ""
            guard state != "terminated", let key = instance.value("keyName"), batch.contains(key) else { continue }
            counts[key, default: 0] += 1
          }
        }
        token = root.value("nextToken").flatMap { $0.isEmpty ? nil : $0 }
        pages += 1
      } while token != nil && pages < 1000
    }
    return counts
  }
}
