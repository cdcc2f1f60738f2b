import SSHWire
import Testing

/// Signature blobs and the ECDSA `mpint r, mpint s` body: canonical round trips and typed errors.
@Suite struct SignatureBlobTests {
  @Test("a signature blob round-trips byte for byte")
  func signatureBlobRoundTrips() throws {
    let bytes = SignatureBlob(algorithm: "rsa-sha2-512", signature: [0, 1, 2, 3]).encoded()
    let decoded = try SignatureBlob(decoding: bytes)
    #expect(decoded.algorithm == "rsa-sha2-512")
    #expect(decoded.signature == [0, 1, 2, 3])
    #expect(decoded.encoded() == bytes)
  }

  @Test("a signature blob with trailing bytes is rejected")
  func signatureBlobTrailingBytes() {
    let bytes = SignatureBlob(algorithm: "ssh-ed25519", signature: [1]).encoded() + [0]
    #expect(throws: WireError.trailingBytes(1)) { _ = try SignatureBlob(decoding: bytes) }
  }

  @Test("a truncated signature blob is rejected")
  func signatureBlobTruncated() {
    let bytes = SignatureBlob(algorithm: "ssh-ed25519", signature: [1, 2]).encoded()
    for n in 0..<bytes.count {
      #expect(throws: WireError.self) { _ = try SignatureBlob(decoding: Array(bytes.prefix(n))) }
    }
  }

  @Test("ECDSA r and s round-trip, with a sign byte added when the top bit is set")
  func ecdsaValuesRoundTrip() throws {
    let values = SignatureBlob.ECDSAValues(r: [0x00, 0x80, 0x01], s: [0x7f])
    #expect(values.r == [0x80, 0x01])
    let bytes = values.encoded()
    #expect(bytes == [0, 0, 0, 3, 0, 0x80, 0x01, 0, 0, 0, 1, 0x7f])
    let decoded = try SignatureBlob.ECDSAValues(decoding: bytes)
    #expect(decoded == values)
    #expect(decoded.encoded() == bytes)
  }

  /// (name, body, expected error case)
  static let malformed: [(String, [UInt8], String)] = [
    ("r with a needless zero", [0, 0, 0, 2, 0, 0x01, 0, 0, 0, 1, 1], "nonCanonicalMPInt"),
    ("negative s", [0, 0, 0, 1, 1, 0, 0, 0, 1, 0x80], "nonCanonicalMPInt"),
    ("zero r", [0, 0, 0, 0, 0, 0, 0, 1, 1], "invalidValue"),
    ("missing s", [0, 0, 0, 1, 1], "truncated"),
    ("trailing byte", [0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 9], "trailingBytes"),
  ]

  @Test("malformed ECDSA bodies throw the expected typed error", arguments: 0..<malformed.count)
  func malformedECDSAValues(index: Int) {
    let (name, body, expected) = SignatureBlobTests.malformed[index]
    do {
      _ = try SignatureBlob.ECDSAValues(decoding: body)
      Issue.record("\(name) decoded")
    } catch {
      #expect(errorCase(error) == expected, "\(name): \(error)")
    }
  }
}

/// `readPositiveMPInt` reads in place (no intermediate copy of a secret); its answers are unchanged.
struct PositiveMPIntInPlaceTests {
  static func read(_ bytes: [UInt8]) -> Result<([UInt8], Int), WireError> {
    var r = SSHReader(bytes)
    do throws(WireError) {
      let v = try r.readPositiveMPInt()
      return .success((v, r.offset))
    } catch {
      return .failure(error)
    }
  }

  @Test func canonicalMagnitudesDecodeAndAdvanceTheReader() throws {
    #expect(try Self.read([0, 0, 0, 0, 9]).get() == ([], 4))
    #expect(try Self.read([0, 0, 0, 1, 0x7f, 9]).get() == ([0x7f], 5))
    #expect(try Self.read([0, 0, 0, 2, 0x00, 0x80, 9]).get() == ([0x80], 6))
  }

  @Test func nonCanonicalAndTruncatedMPIntsThrowWithoutMovingTheReader() {
    for bad: [UInt8] in [[0, 0, 0, 1, 0x80], [0, 0, 0, 1, 0], [0, 0, 0, 2, 0, 0x7f], [0, 0, 0, 3, 1], [0, 0, 0]] {
      var r = SSHReader(bad)
      #expect(throws: WireError.self) { try r.readPositiveMPInt() }
      #expect(r.offset == 0)
    }
  }
}
