import Cloud
import Testing

/// Inputs the fuzzer found in euca2ools ini files, pinned so they stay cheap and total.
struct EucaConfigRegressionTests {
  /// Resolves with only in-memory euca2ools files, no environment.
  static func resolve(_ ini: String, region: String? = nil) throws(CloudConfigError) -> CloudTarget {
    let resolver = CloudConfigResolver(
      env: [:], home: "/home/u", files: .memory(["/home/u/.euca/fuzz.ini": ini]))
    return try resolver.resolve(.init(regions: region.map { [$0] } ?? []))
  }

  /// Wildcard candidates were listed for every subset of a name's `:` parts: 30 parts took minutes and all the
  /// memory, 63 parts trapped (`1 << 63` is negative). Now each section is checked once.
  @Test func regionNameWithManyColonsResolvesAtOnce() throws {
    for parts in [30, 63] {
      let name = (1...parts).map { "p\($0)" }.joined(separator: ":")
      let wildcard = (1...parts).map { $0 == 2 ? "*" : "p\($0)" }.joined(separator: ":")
      let ini = """
        [region \(wildcard)]
        ec2-url = http://wild.example:8773/
        user = u

        [user u]
        key-id = AKIU
        secret-key = s
        """
      let target = try Self.resolve(ini, region: name)
      #expect(target.endpoint.host == "wild.example")
      #expect(target.credentials.accessKeyID == "AKIU")
    }
  }

  /// The section with the fewest `*` parts wins, and among as many the one that keeps the later parts, as the
  /// candidate order of euca2ools.ini(5) lookups had it.
  @Test func fewestWildcardsThenLaterPartsKeptWins() throws {
    let ini = """
      [region *:b:c]
      ec2-url = http://first-star.example/

      [region a:*:c]
      ec2-url = http://middle-star.example/

      [region *:*:c]
      ec2-url = http://two-stars.example/

      [user u]
      key-id = AKIU
      secret-key = s

      [region *]
      user = u
      """
    #expect(try Self.resolve(ini, region: "a:b:c").endpoint.host == "first-star.example")
    #expect(try Self.resolve(ini, region: "a:x:c").endpoint.host == "middle-star.example")
    #expect(try Self.resolve(ini, region: "q:x:c").endpoint.host == "two-stars.example")
  }
}
