import Glibc
import SSHWire

/// The framed protocol between the agent and keyhold-pkcs11-helper, spoken over the helper's standard input and
/// output (one socket, both ends).
///
/// Every message, both ways, is `uint32 length` (big-endian, the length of what follows, 1 to 256 KiB) then
/// `byte type` and the type's fields, encoded as SSH wire types (RFC 4251 §5) like the agent protocol itself
/// (PROTOCOL.agent). The agent sends one request and reads one reply before it sends the next.
///
///     agent → helper
///       1   LOAD       string provider path, string pin      (once, first)
///       2   SIGN       string key blob, string data, uint32 flags (SSH_AGENT_RSA_SHA2_256 = 2, _512 = 4)
///     helper → agent
///       128 KEYS       uint32 count, count × (string key blob, string comment)
///       129 SIGNATURE  string signature blob (RFC 4253 §6.6, RFC 8332 §3, RFC 5656 §3.1.2)
///       130 FAILURE    uint32 code, string message (one line)
///
/// Failure codes: 1 the provider could not be loaded or initialised, 2 the PIN is incorrect, 3 the PIN is locked,
/// 4 no such key, 5 the token failed to sign, 6 a malformed or unexpected request. End of file on its input makes
/// the helper finalize the provider and exit 0; a provider that crashes takes only the helper with it.
enum HelperMessage {
  static let load: UInt8 = 1
  static let sign: UInt8 = 2
  static let keys: UInt8 = 128
  static let signature: UInt8 = 129
  static let failure: UInt8 = 130
  /// The largest frame either side accepts, as the agent's own frame cap.
  static let maxFrame = 256 * 1024
}

/// A failure the helper reports to the agent as a FAILURE message.
struct HelperFailure: Error {
  static let loadFailed: UInt32 = 1
  static let pinIncorrect: UInt32 = 2
  static let pinLocked: UInt32 = 3
  static let noSuchKey: UInt32 = 4
  static let signFailed: UInt32 = 5
  static let badRequest: UInt32 = 6

  let code: UInt32
  let message: String
}

/// Blocking frame I/O on the helper's standard input and output.
enum HelperIO {
  /// Reads one frame body from standard input; nil at end of file before a frame starts.
  static func readFrame() throws(HelperFailure) -> [UInt8]? {
    guard let header = readExactly(4) else { return nil }
    let length = header.reduce(0) { $0 << 8 | Int($1) }
    guard length > 0, length <= HelperMessage.maxFrame else {
      throw HelperFailure(code: HelperFailure.badRequest, message: "frame length \(length) is out of range")
    }
    guard let body = readExactly(length) else {
      throw HelperFailure(code: HelperFailure.badRequest, message: "frame ends early")
    }
    return body
  }

  /// Writes one frame to standard output; false when the agent has gone.
  static func writeFrame(_ body: [UInt8]) -> Bool {
    var writer = SSHWriter(capacity: body.count + 4)
    writer.writeString(body)
    let bytes = writer.bytes
    var sent = 0
    while sent < bytes.count {
      let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + sent, bytes.count - sent) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      sent += n
    }
    return true
  }

  /// Reads exactly `count` bytes; nil when the input ends (or fails) first.
  private static func readExactly(_ count: Int) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
      let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress! + got, count - got) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return nil }
      got += n
    }
    return buffer
  }
}
