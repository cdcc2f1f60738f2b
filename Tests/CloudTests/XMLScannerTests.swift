import Cloud
import Foundation
import Testing

struct XMLScannerTests {
  struct Good: CustomTestStringConvertible, Sendable {
    let name: String
    let xml: String
    let path: [String]
    let expected: String
    var testDescription: String { name }
  }

  static let good: [Good] = [
    Good(name: "plain", xml: "<a><b>x</b></a>", path: ["b"], expected: "x"),
    Good(name: "default namespace", xml: "<a xmlns=\"urn:x\"><b>x</b></a>", path: ["b"], expected: "x"),
    Good(name: "prefixed namespace", xml: "<p:a xmlns:p='urn:x'><p:b>x</p:b></p:a>", path: ["b"], expected: "x"),
    Good(
      name: "declaration and comment", xml: "<?xml version=\"1.0\"?><!-- c --><a><b>x</b></a>", path: ["b"],
      expected: "x"),
    Good(name: "doctype skipped", xml: "<!DOCTYPE a [<!ENTITY e \"v\">]><a><b>x</b></a>", path: ["b"], expected: "x"),
    Good(name: "bom", xml: "\u{FEFF}<a><b>x</b></a>", path: ["b"], expected: "x"),
    Good(name: "entities", xml: "<a><b>&amp;&lt;&gt;&quot;&apos;</b></a>", path: ["b"], expected: "&<>\"'"),
    Good(name: "numeric references", xml: "<a><b>&#65;&#x42;&#xe9;&#128273;</b></a>", path: ["b"], expected: "ABé🔑"),
    Good(name: "cdata", xml: "<a><b><![CDATA[<not a tag>]]></b></a>", path: ["b"], expected: "<not a tag>"),
    Good(name: "self-closing", xml: "<a><b/><c>y</c></a>", path: ["c"], expected: "y"),
    Good(name: "attributes with > in quotes", xml: "<a><b k=\"1>2\" j='z'>x</b></a>", path: ["b"], expected: "x"),
    Good(name: "nested path", xml: "<a><s><i><n>k</n></i></s></a>", path: ["s", "i", "n"], expected: "k"),
    Good(name: "whitespace in end tag", xml: "<a><b>x</b  ></a >", path: ["b"], expected: "x"),
    Good(name: "trimmed value", xml: "<a><b>\n  x \n</b></a>", path: ["b"], expected: "x"),
  ]

  @Test(arguments: good) func parsesWellFormed(_ c: Good) throws {
    var e = try XMLScanner.parse(c.xml)
    for step in c.path.dropLast() { e = try #require(e.child(step)) }
    #expect(e.value(c.path.last!) == c.expected)
  }

  struct Bad: CustomTestStringConvertible, Sendable {
    let name: String
    let xml: String
    let error: XMLError
    var testDescription: String { name }
  }

  static let bad: [Bad] = [
    Bad(name: "empty", xml: "", error: .noRootElement),
    Bad(name: "only whitespace", xml: "  \n", error: .noRootElement),
    Bad(name: "unclosed element", xml: "<a><b>x</b>", error: .unexpectedEnd(offset: 11)),
    Bad(name: "mismatched end", xml: "<a><b>x</c></a>", error: .mismatchedTag(expected: "b", found: "c", offset: 7)),
    Bad(name: "stray end", xml: "</a>", error: .contentOutsideRoot(offset: 0)),
    Bad(name: "unknown entity", xml: "<a>&nbsp;</a>", error: .invalidEntity(offset: 3)),
    Bad(name: "unterminated entity", xml: "<a>&amp</a>", error: .invalidEntity(offset: 3)),
    Bad(name: "zero reference", xml: "<a>&#0;</a>", error: .invalidEntity(offset: 3)),
    Bad(name: "surrogate reference", xml: "<a>&#xD800;</a>", error: .invalidEntity(offset: 3)),
    Bad(name: "huge reference", xml: "<a>&#99999999999;</a>", error: .invalidEntity(offset: 3)),
    Bad(name: "text before root", xml: "hi<a/>", error: .contentOutsideRoot(offset: 0)),
    Bad(name: "two roots", xml: "<a/><b/>", error: .contentOutsideRoot(offset: 4)),
    Bad(name: "attribute without value", xml: "<a b></a>", error: .malformedTag(offset: 0)),
    Bad(name: "unquoted attribute", xml: "<a b=c></a>", error: .malformedTag(offset: 0)),
    Bad(name: "truncated tag", xml: "<a", error: .unexpectedEnd(offset: 2)),
    Bad(name: "truncated comment", xml: "<a><!-- x", error: .unexpectedEnd(offset: 9)),
    Bad(name: "lone <", xml: "<a><</a>", error: .malformedTag(offset: 3)),
    Bad(name: "empty name", xml: "<>", error: .malformedTag(offset: 0)),
  ]

  @Test(arguments: bad) func rejectsMalformedWithTypedError(_ c: Bad) {
    #expect(throws: c.error) { try XMLScanner.parse(c.xml) }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let xml = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
    #expect(throws: XMLError.tooDeep(offset: XMLScanner.maxDepth * 3)) { try XMLScanner.parse(xml) }
  }

  /// Every prefix of a real answer must either parse or throw — never trap.
  @Test func everyTruncationOfAFixtureThrows() throws {
    let bytes = try fixture("aws-describe-key-pairs.xml")
    var failures = 0
    for n in 0..<bytes.count {
      do { _ = try XMLScanner.parse(Array(bytes[0..<n])) } catch { failures += 1 }
    }
    #expect(failures == bytes.count - 1 || failures == bytes.count)  // only the full text (maybe minus "\n") parses
  }

  @Test func flippedBytesNeverTrap() throws {
    let bytes = try fixture("euca-describe-key-pairs.xml")
    var parsed = 0
    for i in stride(from: 0, to: bytes.count, by: 3) {
      for v: UInt8 in [0x3c, 0x3e, 0x26, 0x2f, 0x00, 0xff] {
        var b = bytes
        b[i] = v
        if (try? XMLScanner.parse(b)) != nil { parsed += 1 }
      }
    }
    #expect(parsed >= 0)
    #expect(try XMLScanner.parse(bytes).name == "DescribeKeyPairsResponse")
  }
}

/// Seeded random mutations of every recorded answer, fed through the client's parsing path: each one must end in a
/// value or a typed `CloudError`, never a trap.
struct XMLMutationTests {
  struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  @Test func mutatedAnswersGiveValuesOrTypedErrors() async throws {
    let names = try FileManager.default.contentsOfDirectory(
      atPath: repoRoot.appendingPathComponent("testdata/cloud").path
    ).filter { $0.hasSuffix(".xml") }.sorted()
    #expect(names.count >= 10)
    var rng = SplitMix(state: 20_261_129)
    let alphabet: [UInt8] = Array("<>/&;#x:=\"' abc\n".utf8) + [0, 0xff, 0xc3]
    var outcomes = (values: 0, errors: 0)
    for name in names {
      let original = try fixture(name)
      for _ in 0..<150 {
        var b = original
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !b.isEmpty {
          let i = Int.random(in: 0..<b.count, using: &rng)
          switch Int.random(in: 0..<3, using: &rng) {
          case 0: b[i] = alphabet.randomElement(using: &rng)!
          case 1: b.remove(at: i)
          default: b.insert(alphabet.randomElement(using: &rng)!, at: i)
          }
        }
        let body = b
        let client = try testClient(FixtureTransport { _, _ in HTTPResponse(status: 200, body: body) })
        do {
          _ = try await client.describeKeyPairs()
          outcomes.values += 1
        } catch {
          #expect(!error.description.isEmpty)
          outcomes.errors += 1
        }
      }
    }
    #expect(outcomes.values + outcomes.errors == names.count * 150)
    #expect(outcomes.errors > 0)
  }
}
