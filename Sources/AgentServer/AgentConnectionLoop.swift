import SSHKeys
import SSHWire

/// The agent's framing, both directions in one place: ``FrameDecoder`` splits the byte stream into request bodies
/// (256 KiB cap, a zero or oversized length refused before the body is read), and ``frame(_:)`` is the only code
/// that turns a response into bytes on the wire.
public enum AgentFraming {
  /// `response` as a frame: `uint32 length, byte[length] message` (draft-ietf-sshm-ssh-agent §3).
  public static func frame(_ response: AgentResponse) -> [UInt8] {
    var w = SSHWriter(capacity: 4 + encodedSizeHint(response))
    w.writeUInt32(0)
    response.encode(into: &w)
    var bytes = w.bytes
    let n = UInt32(bytes.count - 4)
    bytes.withUnsafeMutableBytes { raw in
      raw[0] = UInt8(truncatingIfNeeded: n >> 24)
      raw[1] = UInt8(truncatingIfNeeded: n >> 16)
      raw[2] = UInt8(truncatingIfNeeded: n >> 8)
      raw[3] = UInt8(truncatingIfNeeded: n)
    }
    return bytes
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
