import Glibc
import SSHWire

// The protocol itself (messages, framing, limits) is SSHWire's PKCS11HelperRequest / PKCS11HelperReply, shared
// with the agent; this file holds the helper's failures and its blocking frame I/O.

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
    let length: Int
    do throws(WireError) { length = try PKCS11HelperFrame.bodyLength(header: header) } catch {
      throw HelperFailure(code: HelperFailure.badRequest, message: "\(error)")
    }
    guard let body = readExactly(length) else {
      throw HelperFailure(code: HelperFailure.badRequest, message: "frame ends early")
    }
    return body
  }

  /// Writes one frame to standard output; false when the agent has gone.
  static func writeFrame(_ body: [UInt8]) -> Bool {
    let bytes = PKCS11HelperFrame.frame(body)
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
