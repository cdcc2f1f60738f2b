import SSHWire
import Testing

/// The agent ↔ keyhold-pkcs11-helper codec: what one side encodes the other decodes to the same value, and every
/// malformed body or frame header is refused with a WireError.
@Suite struct PKCS11HelperMessageTests {
  static let requests: [PKCS11HelperRequest] = [
    .load(providerPath: "/usr/lib/softhsm/libsofthsm2.so", pin: Array("1234".utf8)),
    .load(providerPath: "", pin: []),
    .sign(keyBlob: [0, 0, 0, 7] + Array("ssh-rsa".utf8), data: Array(repeating: 0xab, count: 300), flags: 4),
    .sign(keyBlob: [], data: [], flags: 0),
  ]

  static let replies: [PKCS11HelperReply] = [
    .keys([]),
    .keys([PKCS11HelperKey(blob: [1, 2, 3], comment: "rsa-key"), PKCS11HelperKey(blob: [4], comment: "")]),
    .signature(Array(repeating: 7, count: 64)),
    .failure(code: 2, message: "the pin is incorrect"),
  ]

  @Test(arguments: requests) func requestsRoundTrip(_ request: PKCS11HelperRequest) throws {
    #expect(try PKCS11HelperRequest.decode(request.encode()) == request)
  }

  @Test(arguments: replies) func repliesRoundTrip(_ reply: PKCS11HelperReply) throws {
    #expect(try PKCS11HelperReply.decode(reply.encode()) == reply)
  }

  @Test func theLoadRequestIsLaidOutAsTheHelperProtocolSays() {
    let body = PKCS11HelperRequest.load(providerPath: "/p", pin: [0x31]).encode()
    #expect(body == [1, 0, 0, 0, 2, 0x2f, 0x70, 0, 0, 0, 1, 0x31])
    #expect(PKCS11HelperFrame.frame(body) == [0, 0, 0, 12] + body)
  }

  @Test func takingThePINLeavesTheLoadRequestWithoutIt() {
    var request = PKCS11HelperRequest.load(providerPath: "/p", pin: Array("1234".utf8))
    #expect(request.takePIN() == Array("1234".utf8))
    #expect(request == .load(providerPath: "/p", pin: []))
    var sign = PKCS11HelperRequest.sign(keyBlob: [1], data: [2], flags: 0)
    #expect(sign.takePIN().isEmpty)
    #expect(sign == .sign(keyBlob: [1], data: [2], flags: 0))
  }

  @Test func malformedRequestsAreRefused() {
    let good = PKCS11HelperRequest.sign(keyBlob: [1], data: [2], flags: 0).encode()
    #expect(throws: WireError.self) { try PKCS11HelperRequest.decode([]) }
    #expect(throws: WireError.invalidValue("pkcs11 helper request type 3")) { try PKCS11HelperRequest.decode([3]) }
    #expect(throws: WireError.invalidValue("pkcs11 helper request type 129")) {
      try PKCS11HelperRequest.decode(PKCS11HelperReply.signature([1]).encode())
    }
    #expect(throws: WireError.trailingBytes(1)) { try PKCS11HelperRequest.decode(good + [0]) }
    #expect(throws: WireError.self) { try PKCS11HelperRequest.decode(Array(good.dropLast())) }
    // A path that is not UTF-8.
    #expect(throws: WireError.invalidUTF8) { try PKCS11HelperRequest.decode([1, 0, 0, 0, 1, 0xff, 0, 0, 0, 0]) }
    // A length prefix past the end.
    #expect(throws: WireError.self) { try PKCS11HelperRequest.decode([2, 0xff, 0xff, 0xff, 0xff]) }
  }

  @Test func malformedRepliesAreRefused() {
    #expect(throws: WireError.self) { try PKCS11HelperReply.decode([]) }
    #expect(throws: WireError.invalidValue("pkcs11 helper reply type 2")) {
      try PKCS11HelperReply.decode(PKCS11HelperRequest.sign(keyBlob: [], data: [], flags: 0).encode())
    }
    #expect(throws: WireError.trailingBytes(2)) {
      try PKCS11HelperReply.decode(PKCS11HelperReply.signature([1]).encode() + [0, 0])
    }
    // A count the body cannot hold is refused before any key is read, as is one above the cap.
    #expect(throws: WireError.invalidValue("pkcs11 helper key count 4294967295")) {
      try PKCS11HelperReply.decode([128, 0xff, 0xff, 0xff, 0xff])
    }
    let overCap = [UInt8](repeating: 0, count: 8 * (PKCS11HelperFrame.maxKeys + 1))
    #expect(throws: WireError.invalidValue("pkcs11 helper key count 4097")) {
      try PKCS11HelperReply.decode([128, 0, 0, 0x10, 0x01] + overCap)
    }
    #expect(throws: WireError.self) { try PKCS11HelperReply.decode([128, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]) }
    #expect(throws: WireError.self) { try PKCS11HelperReply.decode([130, 0, 0, 0, 1]) }
  }

  @Test func aCommentThatIsNotUTF8IsKeptWithReplacementCharacters() throws {
    let body: [UInt8] = [128, 0, 0, 0, 1, 0, 0, 0, 1, 9, 0, 0, 0, 2, 0x61, 0xff]
    #expect(try PKCS11HelperReply.decode(body) == .keys([PKCS11HelperKey(blob: [9], comment: "a\u{FFFD}")]))
  }

  @Test func frameHeadersOutsideOneTo256KiBAreRefused() throws {
    #expect(try PKCS11HelperFrame.bodyLength(header: [0, 0, 0, 1]) == 1)
    #expect(try PKCS11HelperFrame.bodyLength(header: [0, 4, 0, 0]) == 256 * 1024)
    #expect(throws: WireError.badFrameLength(0)) { try PKCS11HelperFrame.bodyLength(header: [0, 0, 0, 0]) }
    #expect(throws: WireError.badFrameLength(256 * 1024 + 1)) {
      try PKCS11HelperFrame.bodyLength(header: [0, 4, 0, 1])
    }
    #expect(throws: WireError.self) { try PKCS11HelperFrame.bodyLength(header: [0, 0, 1]) }
    #expect(throws: WireError.trailingBytes(1)) { try PKCS11HelperFrame.bodyLength(header: [0, 0, 0, 1, 0]) }
  }
}
