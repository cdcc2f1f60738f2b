/// Splits a byte stream into agent frames: `uint32 length, byte[length] body` (draft-ietf-sshm-ssh-agent §3).
///
/// One read is not one message: input may arrive split anywhere or several frames at once. A length of zero or
/// above ``maximumLength`` throws ``WireError/badFrameLength(_:)`` as soon as the four length bytes are in,
/// before any body byte is buffered, so the connection can be closed at once.
public struct FrameDecoder: Sendable {
  /// The largest frame body accepted: 256 KiB, as OpenSSH's agent.
  public static let defaultMaximumLength = 256 * 1024

  /// The largest frame body accepted.
  public let maximumLength: Int
  private var buffer: [UInt8] = []
  private var start = 0

  /// Creates a decoder.
  public init(maximumLength: Int = FrameDecoder.defaultMaximumLength) {
    self.maximumLength = maximumLength
  }

  /// Number of buffered bytes not yet returned as frames.
  public var bufferedCount: Int { buffer.count - start }

  /// Appends bytes read from the stream.
  public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    compactIfWorthIt()
    buffer.append(contentsOf: bytes)
  }

  /// Appends bytes read from the stream.
  public mutating func append(_ bytes: UnsafeRawBufferPointer) {
    compactIfWorthIt()
    // The caller vouches that `bytes` is valid for its count for the duration of the call (SE-0458).
    unsafe buffer.append(contentsOf: bytes)
  }

  /// The body length announced by the buffered header, checked against the cap; nil while fewer than 4 bytes.
  public func announcedLength() throws(WireError) -> Int? {
    guard bufferedCount >= 4 else { return nil }
    var n: UInt32 = 0
    for i in 0..<4 { n = (n << 8) | UInt32(buffer[start + i]) }
    guard n != 0, Int(n) <= maximumLength else { throw .badFrameLength(n) }
    return Int(n)
  }

  /// Returns the next complete frame body, nil if more input is needed, or throws on a bad length.
  public mutating func next() throws(WireError) -> [UInt8]? {
    guard let length = try announcedLength() else { return nil }
    guard bufferedCount >= 4 + length else { return nil }
    let bodyStart = start + 4
    let body = Array(buffer[bodyStart..<(bodyStart + length)])
    start = bodyStart + length
    if start == buffer.count {
      buffer.removeAll(keepingCapacity: true)
      start = 0
    }
    return body
  }

  /// Overwrites the buffer with zeros (it may have held private keys or passphrases).
  public mutating func wipe() {
    for i in buffer.indices { buffer[i] = 0 }
    buffer.removeAll(keepingCapacity: false)
    start = 0
  }

  private mutating func compactIfWorthIt() {
    if start > 0 && start >= buffer.count / 2 {
      buffer.removeSubrange(0..<start)
      start = 0
    }
  }
}

/// Builds agent frames.
public enum AgentFrame {
  /// Prefixes `body` with its uint32 length.
  public static func frame(_ body: [UInt8]) -> [UInt8] {
    var w = SSHWriter(capacity: body.count + 4)
    w.writeUInt32(UInt32(body.count))
    w.writeBytes(body)
    return w.bytes
  }
}
