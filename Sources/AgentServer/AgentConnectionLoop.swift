import KeyholdCrypto
import SSHKeys
import SSHWire

/// The agent's framing, both directions in one place: ``FrameDecoder`` splits the byte stream into request bodies
/// (256 KiB cap, a zero or oversized length refused before the body is read), and ``frame(_:)`` is the only code
/// that turns a response into bytes on the wire.
public enum AgentFraming {
  /// `response` as a frame: `uint32 length, byte[length] message` (draft-ietf-sshm-ssh-agent §3).
  ///
  /// The two replies on the hot paths (a listing of possibly thousands of keys, a signature) are written with
  /// plain array appends in one allocation; every other response goes through its own encoder.
  public static func frame(_ response: AgentResponse) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(4 + encodedSizeHint(response))
    append(0, to: &out)
    switch response {
    case .identitiesAnswer(let ids):
      out.append(AgentMessageType.identitiesAnswer.rawValue)
      append(UInt32(ids.count), to: &out)
      for id in ids { appendEntry(id, to: &out) }
    case .signResponse(let signature):
      out.append(AgentMessageType.signResponse.rawValue)
      append(UInt32(signature.count), to: &out)
      out.append(contentsOf: signature)
    default:
      var w = SSHWriter(capacity: 64)
      response.encode(into: &w)
      out.append(contentsOf: w.bytes)
    }
    let n = UInt32(out.count - 4)
    out[0] = UInt8(truncatingIfNeeded: n >> 24)
    out[1] = UInt8(truncatingIfNeeded: n >> 16)
    out[2] = UInt8(truncatingIfNeeded: n >> 8)
    out[3] = UInt8(truncatingIfNeeded: n)
    return out
  }

  /// One entry of an identities answer: `string key blob, string comment`.
  static func appendEntry(_ id: AgentIdentity, to out: inout [UInt8]) {
    append(UInt32(id.keyBlob.count), to: &out)
    out.append(contentsOf: id.keyBlob)
    append(UInt32(id.comment.utf8.count), to: &out)
    out.append(contentsOf: id.comment.utf8)
  }

  /// The first nine bytes of a framed identities answer whose `count` entries take `bodySize` bytes, for replies
  /// assembled from entries framed earlier (``ListingReplies``).
  static func appendListingHeader(bodySize: Int, count: Int, to out: inout [UInt8]) {
    append(UInt32(truncatingIfNeeded: 5 + bodySize), to: &out)
    out.append(AgentMessageType.identitiesAnswer.rawValue)
    append(UInt32(truncatingIfNeeded: count), to: &out)
  }

  private static func append(_ v: UInt32, to out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: v >> 24))
    out.append(UInt8(truncatingIfNeeded: v >> 16))
    out.append(UInt8(truncatingIfNeeded: v >> 8))
    out.append(UInt8(truncatingIfNeeded: v))
  }

  /// A close upper estimate of the message's size, so framing allocates once (listings of 1,000 keys included).
  static func encodedSizeHint(_ response: AgentResponse) -> Int {
    switch response {
    case .signResponse(let sig): return 5 + sig.count
    case .identitiesAnswer(let ids):
      var size = 5
      for id in ids { size += 8 + id.keyBlob.count + id.comment.utf8.count }
      return size
    default: return 64
    }
  }

  /// Message numbers whose requests may carry a private key or a passphrase: their bodies are wiped once
  /// answered.
  static let sensitiveTypes: Set<UInt8> = [
    AgentMessageType.addIdentity.rawValue, AgentMessageType.addIDConstrained.rawValue,
    AgentMessageType.lock.rawValue, AgentMessageType.unlock.rawValue, AgentMessageType.extension.rawValue,
  ]
}

extension Agent {
  /// Answers one complete frame body (as ``FrameDecoder/next()`` returns it) with the framed reply to write.
  ///
  /// This is what a connection loop calls per frame, whatever drives it (a thread per connection, an event
  /// loop). A body that may carry a private key or a passphrase is wiped before this returns.
  public func answer(frame body: inout [UInt8], connection: inout AgentConnectionState) -> [UInt8] {
    // The most frequent request, and the only one whose reply grows with the keyring: answered with bytes
    // framed once (``ListingReplies``).
    if body.count == 1 && body[0] == AgentMessageType.requestIdentities.rawValue {
      return listingReply(connection)
    }
    let reply = AgentFraming.frame(process(body, connection: &connection))
    if let t = body.first, AgentFraming.sensitiveTypes.contains(t) { SecureBytes.wipe(&body) }
    return reply
  }
}

/// Serves one client connection over any ``AgentStream``.
public enum AgentConnectionLoop {
  /// Reads frames from `stream` and answers each until end of stream, an I/O error, or a frame whose length is 0
  /// or above 256 KiB (decided from the four length bytes, before the body is read); then closes the stream.
  public static func serve(_ stream: inout some AgentStream, agent: Agent, state initial: AgentConnectionState) {
    var state = initial
    var decoder = FrameDecoder()
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    defer {
      decoder.wipe()
      SecureBytes.wipe(&buffer)
      stream.close()
    }
    agent.log(.debug, "connection \(state.number): new client pid \(state.peerPID) uid \(state.peerUID)")
    while true {
      let n: Int
      do { n = try stream.read(into: &buffer) } catch { return }
      guard n > 0 else { return }
      buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      while true {
        var body: [UInt8]
        do {
          guard let next = try decoder.next() else { break }
          body = next
        } catch {
          agent.log(.info, "connection \(state.number): \(error); closing")
          return
        }
        let reply = agent.answer(frame: &body, connection: &state)
        do { try stream.write(reply) } catch { return }
      }
    }
  }
}
