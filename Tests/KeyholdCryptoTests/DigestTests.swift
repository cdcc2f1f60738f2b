import Testing

@testable import KeyholdCrypto

/// Known answers for the digests (FIPS 180-4 examples, RFC 1321) and HMAC-SHA-256 (RFC 4231).
struct DigestTests {
  let abc = Array("abc".utf8)

  @Test func sha256OfABCIsTheFIPSExample() {
    #expect(Hex.encode(Digest.sha256(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  @Test func sha256OfNothingIsTheKnownEmptyDigest() {
    #expect(
      Hex.encode(Digest.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func everyAlgorithmGivesItsKnownDigestOfABC() {
    #expect(Hex.encode(Digest.md5(abc)) == "900150983cd24fb0d6963f7d28e17f72")
    #expect(Hex.encode(Digest.sha1(abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    #expect(
      Hex.encode(Digest.sha384(abc))
        == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
    #expect(
      Hex.encode(Digest.sha512(abc))
        == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
        + "454d4423643ce80e2a9ac94fa54ca49f")
    for algorithm in Digest.Algorithm.allCases { #expect(Digest.hash(algorithm, abc).count == algorithm.size) }
  }

  @Test func hashingASliceOrIntoABufferGivesTheSameDigest() {
    let message = Array("xxabcxx".utf8)
    #expect(Digest.sha256(message[2..<5]) == Digest.sha256(abc))
    var out = [UInt8](repeating: 0, count: 32)
    abc.withUnsafeBytes { input in out.withUnsafeMutableBytes { Digest.hash(.sha256, input, into: $0) } }
    #expect(out == Digest.sha256(abc))
  }

  /// RFC 4231 §4.2–§4.7 (test case 5 truncates its output and is not a full-MAC vector).
  @Test(arguments: [
    (
      [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    ),
    (
      Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    ),
    (
      [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
    ),
    (
      (1...25).map { UInt8($0) }, [UInt8](repeating: 0xcd, count: 50),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
    ),
    (
      [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    ),
    (
      [UInt8](repeating: 0xaa, count: 131),
      Array(
        ("This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
          + "be hashed before being used by the HMAC algorithm.").utf8),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
    ),
  ])
  func hmacSHA256MatchesRFC4231(key: [UInt8], data: [UInt8], expected: String) {
    #expect(Hex.encode(HMAC.sha256(key: key, data: data)) == expected)
  }

  @Test func hmacWithAnEmptyKeyAndMessageIsTheKnownValue() {
    #expect(
      Hex.encode(HMAC.sha256(key: [], data: []))
        == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
  }
}
