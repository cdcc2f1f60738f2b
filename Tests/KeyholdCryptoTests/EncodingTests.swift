import Testing

@testable import KeyholdCrypto

/// Base64 (RFC 4648 §4, §10 vectors) and hex.
struct Base64Tests {
  @Test(arguments: [
    ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
    ("foobar", "Zm9vYmFy"),
  ])
  func encodesAndDecodesTheRFC4648Vectors(plain: String, encoded: String) {
    #expect(Base64.encode(Array(plain.utf8)) == encoded)
    #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
    let unpadded = Base64.encode(Array(plain.utf8), padded: false)
    #expect(unpadded == encoded.filter { $0 != "=" })
    #expect(Base64.decode(Array(unpadded.utf8), requirePadding: false) == Array(plain.utf8))
  }

  /// Unpadded base64 whose last quantum is partial decodes in full (the output buffer is sized for it up front).
  @Test func unpaddedBase64WithPartialQuantumDecodes() {
    for n in 0..<20 {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
      let unpadded = Base64.encode(bytes).filter { $0 != "=" }
      #expect(Base64.decode(Array(unpadded.utf8), requirePadding: false) == bytes)
      #expect(Base64.encodedBytes(bytes) == Array(Base64.encode(bytes).utf8))
    }
  }

  @Test func decodingIsStrict() {
    #expect(Base64.decode(Array("Zm9v YmFy".utf8)) == nil)
    #expect(Base64.decode(Array("Zm9v YmFy".utf8), ignoringWhitespace: true) == Array("foobar".utf8))
    #expect(Base64.decode(Array("Zg".utf8)) == nil)  // padding required by default
    #expect(Base64.decode(Array("Zh==".utf8)) == nil)  // non-canonical trailing bits
    #expect(Base64.decode(Array("Zg==Zg==".utf8)) == nil)  // padding in the middle
    #expect(Base64.decode(Array("Z!==".utf8)) == nil)
  }
}

struct HexTests {
  @Test func encodesLowerCaseWithAnOptionalSeparator() {
    #expect(Hex.encode([0x00, 0x0f, 0xab, 0xff]) == "000fabff")
    #expect(Hex.encode([0x00, 0x0f, 0xab, 0xff], separator: ":") == "00:0f:ab:ff")
    #expect(Hex.encode([UInt8]()) == "")
  }

  @Test func decodesOnlyCanonicalLowerCaseHex() {
    #expect(Hex.decode("000fabff") == [0x00, 0x0f, 0xab, 0xff])
    #expect(Hex.decode("") == [])
    #expect(Hex.decode("abc") == nil)
    #expect(Hex.decode("AB") == nil)
    #expect(Hex.decode("0g") == nil)
    #expect(Hex.decode("00:0f") == nil)
  }
}

/// The one DER reader and writer (X.690).
struct DERTests {
  @Test func writerEncodesIntegersMinimallyWithSignPadding() {
    // RSAPrivateKey-style: version 0, then 0x80 needs a 0x00 pad, zeros are stripped, zero is one 0x00 byte.
    let der = DERWriter.sequenceOfIntegers(version: 0, [[0x80], [0x00, 0x01], []])
    #expect(der == [0x30, 0x0d, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00])
    #expect(DERWriter.sequenceOfIntegers([[0x01], [0x02]]) == [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02])
  }

  @Test func writerUsesLongFormLengthsPastOneHundredTwentySevenBytes() {
    let der = DERWriter.sequenceOfIntegers([[UInt8](repeating: 0x11, count: 200)])
    #expect(Array(der.prefix(7)) == [0x30, 0x81, 0xcb, 0x02, 0x81, 0xc8, 0x11])
    #expect(der.count == 3 + 3 + 200)
  }

  @Test func readerWalksWhatTheWriterWrote() throws {
    let der = DERWriter.sequenceOfIntegers([[0x7f], [UInt8](repeating: 0xff, count: 130)])
    var outer = DERReader(der)
    let element = outer.next()
    let sequence = try #require(element)
    #expect(sequence.tag == DERReader.sequence)
    #expect(outer.next() == nil)
    var fields = DERReader(sequence.content)
    let firstElement = fields.next()
    let first = try #require(firstElement)
    #expect(first.tag == DERReader.integer && DERReader.unsignedValue(first.content) == 0x7f)
    let secondElement = fields.next()
    let second = try #require(secondElement)
    #expect(second.content.count == 131 && DERReader.unsignedValue(second.content) == .max)
    #expect(fields.remaining.isEmpty)
  }

  @Test func readerStopsAtMalformedElements() {
    var truncated = DERReader([0x30, 0x05, 0x02, 0x01])
    #expect(truncated.next() == nil)
    var highTag = DERReader([0x1f, 0x01, 0x00])
    #expect(highTag.next() == nil)
    var longLength = DERReader([0x04, 0x85, 1, 0, 0, 0, 0])
    #expect(longLength.next() == nil)
    #expect(DERReader.header([0x30, 0x82, 0x01, 0x00][...])! == (0x30, 4, 256))
  }
}
