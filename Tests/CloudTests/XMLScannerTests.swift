import Cloud
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
