import CPeerCred
import KeyholdCrypto
import SSHKeys
import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// One accepted client of an ``EventLoop``: its descriptor, frame decoder, unsent reply bytes and the handler's
/// per-connection context.
///
/// Not locked: the thread that accepted it owns it until it adds it to epoll; there it is registered with
/// EPOLLONESHOT, so after an event only the thread that received it touches the connection until it re-arms the
/// descriptor (or closes it).
final class EventLoopConnection<Context: Sendable>: @unchecked Sendable {
  /// What the owning thread should do once it has served an event.
  enum Next {
    /// Wait for the peer: re-arm with these interests.
    case wait(read: Bool, write: Bool)
    /// Close the connection.
    case close(reason: String?)
    /// A one-at-a-time frame waits for the loop's lane: the connection is parked, not armed, and the thread that
    /// releases the lane resumes it. The thread that parked it must not touch it again.
    case parked
  }

  /// How the owning thread takes and gives back the loop's one-at-a-time lane (see ``EventLoop``).
  struct Lane {
    /// True for a frame body that must be handled one at a time across the loop.
    let isSerialized: ([UInt8]) -> Bool
    /// Takes the lane, or parks the connection behind it and returns false (atomically, so no release is missed).
    let acquire: () -> Bool
    /// Gives the lane back (or hands it to the next parked connection).
    let release: () -> Void
  }

  let fd: Int32
  var context: Context
  private var decoder: FrameDecoder
  private var output: [UInt8] = []
  private var outputStart = 0
  /// The peer sent EOF: answer what is buffered, flush, then close.
  private var peerClosed = false
  /// The descriptor is in the loop's epoll set (a new connection is added once its first request was served).
  var registered = false
  /// The one-at-a-time frame this connection was parked with; when it is resumed the lane is already its own.
  private var parkedBody: [UInt8]?
  /// A receive timeout is set on the descriptor.
  private(set) var receiveTimeoutSet = false
  /// The last `waitForInput` read ended with nothing read: its timeout passed, or a signal came.
  private(set) var waitEndedEmpty = false
  /// Requests answered so far.
  private(set) var answered = 0

  init(fd: Int32, context: Context, maximumFrameLength: Int) {
    self.fd = fd
    self.context = context
    self.decoder = FrameDecoder(maximumLength: maximumFrameLength)
  }

  var pendingOutput: Int { output.count - outputStart }

  /// Serves one readiness event: flushes, reads once, answers every complete frame (one at a time, in order)
  /// while the unsent output stays under the pause threshold.
  ///
  /// The descriptor is blocking and every read and write here says MSG_DONTWAIT, except a `waitForInput` read,
  /// which waits up to the receive timeout (``setReceiveTimeout(milliseconds:)``): a thread blocked in recv(2)
  /// wakes once, with the bytes, where poll(2) and a read cost a second call and a wait-queue entry per
  /// descriptor.
  func serve(
    readable: Bool, writable: Bool, hangup: Bool, waitForInput: Bool = false, buffer: inout [UInt8],
    configuration: EventLoopConfiguration, lane: Lane, handler: (inout Context, [UInt8]) -> [UInt8]
  ) -> Next {
    if writable || pendingOutput > 0 {
      guard flush() else { return .close(reason: nil) }
    }
    waitEndedEmpty = false
    if readable && !peerClosed && pendingOutput <= configuration.outputPauseThreshold {
      let n = buffer.withUnsafeMutableBytes { raw in
        let count = min(raw.count, configuration.readChunk)
        return recv(fd, raw.baseAddress!, count, waitForInput ? 0 : Int32(MSG_DONTWAIT))
      }
      if n < 0 && waitForInput { waitEndedEmpty = true }
      if n > 0 {
        buffer.withUnsafeMutableBytes { raw in
          decoder.append(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
          // The chunk may hold a private key or a passphrase; the decoder has its own copy now.
          explicit_bzero(raw.baseAddress!, n)
        }
      } else if n == 0 {
        peerClosed = true
      } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
        return .close(reason: nil)
      }
    } else if hangup && !readable {
      return .close(reason: nil)
    }
    while pendingOutput <= configuration.outputPauseThreshold {
      var body: [UInt8]
      var holdsLane = false
      if let parked = parkedBody {
        // Resumed by the thread that handed the lane over.
        body = parked
        parkedBody = nil
        holdsLane = true
      } else {
        do {
          guard let next = try decoder.next() else { break }
          body = next
        } catch {
          return .close(reason: "\(error)")
        }
        if lane.isSerialized(body) {
          // Moved, not copied: the thread that resumes the connection wipes the only buffer.
          parkedBody = body
          body = []
          guard lane.acquire() else { return .parked }
          body = parkedBody ?? []
          parkedBody = nil
          holdsLane = true
        }
      }
      var reply = handler(&context, body)
      answered &+= 1
      if holdsLane { lane.release() }
      // Requests may carry private keys or passphrases (add identity, lock, unlock); wiping every body costs a
      // memset of bytes just read and spares the loop from knowing message types.
      SecureBytes.wipe(&body)
      guard queue(&reply) else { return .close(reason: nil) }
      if pendingOutput > configuration.outputLimit {
        return .close(reason: "reply output above \(configuration.outputLimit) bytes unsent; closing")
      }
    }
    if hangup { return .close(reason: nil) }
    let paused = pendingOutput > configuration.outputPauseThreshold
    if peerClosed && !paused && pendingOutput == 0 { return .close(reason: nil) }
    return .wait(read: !peerClosed && !paused, write: pendingOutput > 0)
  }

  /// Sets the timeout of `waitForInput` reads, once per connection. False when it could not be set.
  func setReceiveTimeout(milliseconds: Int32) -> Bool {
    if receiveTimeoutSet { return true }
    receiveTimeoutSet = keyhold_set_receive_timeout(fd, milliseconds) == 0
    return receiveTimeoutSet
  }

  /// Sends `reply` at once when nothing is queued before it; queues what the socket does not take. False when
  /// the connection failed.
  private func queue(_ reply: inout [UInt8]) -> Bool {
    guard !reply.isEmpty else { return true }
    if pendingOutput == 0 {
      var sent = 0
      let ok = reply.withUnsafeBytes { raw in
        while sent < raw.count {
          let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
          if n > 0 {
            sent += n
          } else if n < 0 && errno == EINTR {
            continue
          } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
            return true
          } else {
            return false
          }
        }
        return true
      }
      guard ok else { return false }
      if sent < reply.count { output.append(contentsOf: reply[sent...]) }
    } else {
      output.append(contentsOf: reply)
    }
    return true
  }

  /// Sends queued output until done or the socket is full. False when the connection failed.
  private func flush() -> Bool {
    while pendingOutput > 0 {
      let n = output.withUnsafeBytes { raw in
        send(fd, raw.baseAddress! + outputStart, raw.count - outputStart, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
      }
      if n > 0 {
        outputStart += n
      } else if n < 0 && errno == EINTR {
        continue
      } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
        break
      } else {
        return false
      }
    }
    if pendingOutput == 0 && !output.isEmpty {
      // Release the buffer: an idle connection should hold no heap beyond its object.
      output = []
      outputStart = 0
    } else if outputStart > 0 && outputStart >= output.count / 2 {
      output.removeSubrange(0..<outputStart)
      outputStart = 0
    }
    return true
  }

  /// Closes the descriptor and wipes what the connection buffered.
  func close() {
    decoder.wipe()
    if var parked = parkedBody {
      parkedBody = nil
      SecureBytes.wipe(&parked)
    }
    SecureBytes.wipe(&output)
    output = []
    outputStart = 0
    _ = Glibc.close(fd)
  }
}
