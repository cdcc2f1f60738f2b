import KeyholdCrypto

/// One instance as DescribeInstances describes it (the `instancesSet` items of every `reservationSet` item).
public struct ListedInstance: Sendable, Equatable {
  /// The instance id (`i-...`).
  public var id: String
  /// The value of the `Name` tag.
  public var name: String?
  /// `instanceState/name`: `pending`, `running`, `stopped`, `terminated`, ...
  public var state: String
  /// `ipAddress`.
  public var publicIP: String?
  /// `privateIpAddress`.
  public var privateIP: String?
  /// `dnsName`.
  public var publicDNS: String?
  /// `privateDnsName`.
  public var privateDNS: String?
  /// `keyName`: the key pair the instance was launched with.
  public var keyName: String?
  /// `launchTime`, as the cloud wrote it.
  public var launchTime: String?

  /// Creates a record.
  public init(
    id: String, name: String? = nil, state: String, publicIP: String? = nil, privateIP: String? = nil,
    publicDNS: String? = nil, privateDNS: String? = nil, keyName: String? = nil, launchTime: String? = nil
  ) {
    self.id = id
    self.name = name
    self.state = state
    self.publicIP = publicIP
    self.privateIP = privateIP
    self.publicDNS = publicDNS
    self.privateDNS = privateDNS
    self.keyName = keyName
    self.launchTime = launchTime
  }

  /// Reads one `instancesSet` item; nil when it has no instance id. Empty elements count as absent (AWS writes
  /// `<dnsName/>` for an instance without a public name, Eucalyptus sometimes `0.0.0.0` for no address).
  public init?(element e: XMLElement) {
    func v(_ name: String) -> String? {
      guard let s = e.value(name), !s.isEmpty, s != "0.0.0.0" else { return nil }
      return s
    }
    guard let id = v("instanceId") else { return nil }
    var name: String?
    for tag in e.items(of: "tagSet") where tag.value("key") == "Name" {
      name = tag.value("value").flatMap { $0.isEmpty ? nil : $0 }
    }
    self.init(
      id: id, name: name, state: e.child("instanceState")?.value("name") ?? "unknown", publicIP: v("ipAddress"),
      privateIP: v("privateIpAddress"), publicDNS: v("dnsName"), privateDNS: v("privateDnsName"),
      keyName: v("keyName"), launchTime: v("launchTime"))
  }

  /// The instances of one DescribeInstances page, and its `nextToken` (nil on the last page).
  public static func page(_ root: XMLElement) -> (instances: [ListedInstance], nextToken: String?) {
    var out: [ListedInstance] = []
    // Only the top-level reservationSet: an instancesSet item has no reservationSet of its own, but a hostile
    // answer could nest one, and descending into it would count instances twice.
    let reservations = root.child("reservationSet")?.children(named: "item") ?? root.items(of: "reservationSet")
    for reservation in reservations {
      for item in reservation.child("instancesSet")?.children(named: "item") ?? [] {
        if let i = ListedInstance(element: item) { out.append(i) }
      }
    }
    return (out, root.value("nextToken").flatMap { $0.isEmpty ? nil : $0 })
  }
}

extension EC2Client {
  /// The most DescribeInstances pages one listing follows; a server that keeps answering with a token is cut off.
  public static let maxInstancePages = 1000

  /// Lists every instance of the region, following `NextToken` until the listing ends or `maxPages` pages were
  /// read. AWS is asked for pages of 1,000 (`MaxResults`); Eucalyptus, which answers the same Query API shape, gets
  /// no extra parameter.
  public func describeInstances(maxPages: Int = EC2Client.maxInstancePages) async throws(CloudError)
    -> [ListedInstance]
  {
    var out: [ListedInstance] = []
    var seen = Set<String>()
    var token: String?
    var pages = 0
    repeat {
      var params: [(String, String)] = endpoint.flavor == .aws ? [("MaxResults", "1000")] : []
      if let token { params.append(("NextToken", token)) }
      let (instances, next) = ListedInstance.page(try await call("DescribeInstances", params))
      for i in instances where seen.insert(i.id).inserted { out.append(i) }
      token = next
      pages += 1
    } while token != nil && pages < maxPages
    return out
  }

  /// The instance's console output (GetConsoleOutput), decoded; "" when the cloud has none yet (for minutes after
  /// a launch the `output` element is absent or empty, which is not an error).
  public func consoleOutput(instanceID: String) async throws(CloudError) -> String {
    try EC2Client.consoleText(try await call("GetConsoleOutput", [("InstanceId", instanceID)]))
  }

  /// The decoded `output` of a GetConsoleOutput answer; invalid base64 is a malformed answer.
  public static func consoleText(_ root: XMLElement) throws(CloudError) -> String {
    guard let text = root.value("output"), !text.isEmpty else { return "" }
    guard let bytes = Base64.decode(Array(text.utf8), ignoringWhitespace: true, requirePadding: false) else {
      throw .malformedResponse("GetConsoleOutput: output is not base64")
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
