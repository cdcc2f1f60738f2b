import SSHWire
import Testing

/// Three frames of different sizes, as a client might send them.
private let bodies: [[UInt8]] = [[11], [13] + [UInt8](repeating: 7, count: 300), [27, 0, 0, 0, 5] + Array("query".utf8)]
private let stream: [UInt8] = bodies.flatMap { AgentFrame.frame($0) }

private func drain(_ d: inout FrameDecoder) throws -> [[UInt8]] {
  var out: [[UInt8]] = []
  while let f = try d.next() { out.append(f) }
  return out
}

@Test func frameDecoderFedByteByByteYieldsEveryFrame() throws {
  var d = FrameDecoder()
  var got: [[UInt8]] = []
  for b in stream {
    d.append([b])
    got += try drain(&d)
  }
  #expect(got == bodies)
  #expect(d.bufferedCount == 0)
}

@Test func frameDecoderFedAllAtOnceYieldsEveryFrame() throws {
  var d = FrameDecoder()
  d.append(stream)
  #expect(try drain(&d) == bodies)
}

@Test func frameDecoderFedOneMessageAtATimeYieldsOneFrameEach() throws {
  var d = FrameDecoder()
  for body in bodies {
    d.append(AgentFrame.frame(body))
    #expect(try drain(&d) == [body])
  }
}

@Test func frameDecoderSplitsAtEveryPositionTheSame() throws {
  for cut in 0...stream.count {
    var d = FrameDecoder()
    d.append(stream[0..<cut])
    var got = try drain(&d)
    d.append(stream[cut...])
    got += try drain(&d)
    #expect(got == bodies, "cut at \(cut)")
  }
}

@Test func frameLongerThanCapIsRejectedFromTheHeaderAlone() {
  var d = FrameDecoder()
  d.append([0x00, 0x04, 0x00, 0x01])  // 256 KiB + 1, no body at all
  #expect(throws: WireError.badFrameLength(256 * 1024 + 1)) { try d.next() }
}

@Test func frameOfLengthZeroIsRejected() {
  var d = FrameDecoder()
  d.append([0, 0, 0, 0])
  #expect(throws: WireError.badFrameLength(0)) { try d.next() }
}

@Test func frameOfExactlyTheCapIsAccepted() throws {
  var d = FrameDecoder()
  let body = [UInt8](repeating: 1, count: 256 * 1024)
  d.append(AgentFrame.frame(body))
  #expect(try d.next() == body)
}

@Test func frameDecoderWaitsForAnIncompleteHeader() throws {
  var d = FrameDecoder()
  d.append([0, 0, 0])
  #expect(try d.next() == nil)
  #expect(try d.announcedLength() == nil)
}
