import AgentServer
import Foundation
import SSHWire

/// One direction of an in-memory byte stream: bytes written wait here until read.
final class MemoryPipe: @unchecked Sendable {
  private let condition = NSCondition()
  // Guarded by `condition`.
  private var bytes: [UInt8] = []
  private var closed = false

  func write(_ data: [UInt8]) throws(AgentStreamError) {
    condition.lock()
    defer { condition.unlock() }
    guard !closed else { throw .closed }
    bytes.append(contentsOf: data)
    condition.broadcast()
  }

  /// Blocks until bytes arrive or the pipe is closed (then 0, once the bytes already written are read).
  func read(into buffer: inout [UInt8]) -> Int {
    condition.lock()
    defer { condition.unlock() }
    while bytes.isEmpty && !closed { condition.wait() }
    let n = min(buffer.count, bytes.count)
    for i in 0..<n { buffer[i] = bytes[i] }
    bytes.removeFirst(n)
    return n
  }

  func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }
}

/// One end of an in-memory stream pair: what one end writes, the other reads.
struct MemoryStream: AgentStream, @unchecked Sendable {
  let inbound: MemoryPipe
  let outbound: MemoryPipe

  /// Two connected ends.
  static func pair() -> (MemoryStream, MemoryStream) {
    let a = MemoryPipe()
    let b = MemoryPipe()
    return (MemoryStream(inbound: a, outbound: b), MemoryStream(inbound: b, outbound: a))
  }

  mutating func read(into buffer: inout [UInt8]) throws(AgentStreamError) -> Int {
    inbound.read(into: &buffer)
  }

  mutating func write(_ bytes: [UInt8]) throws(AgentStreamError) { try outbound.write(bytes) }

  mutating func close() {
    inbound.close()
    outbound.close()
  }
}

/// A client end of an in-memory connection served by an agent's connection loop on its own thread.
final class MemoryConnection: @unchecked Sendable {
  private var client: MemoryStream
  private var decoder = FrameDecoder()
  private let done = NSCondition()
  private var finished = false

  init(agent: Agent, number: Int = 1) {
    let (server, client) = MemoryStream.pair()
    self.client = client
    let state = AgentConnectionState(peerUID: getuid(), peerPID: getpid(), number: number)
    Thread.detachNewThread { [self] in
      var stream = server
      AgentConnectionLoop.serve(&stream, agent: agent, state: state)
      done.lock()
      finished = true
      done.broadcast()
      done.unlock()
    }
  }

  func writeRaw(_ bytes: [UInt8]) throws {
    try client.write(bytes)
  }

  func call(_ request: AgentRequest) throws -> AgentResponse {
    try writeRaw(AgentFrame.frame(request.encode()))
    return try readReply()
  }

  /// The next reply; throws at end of stream.
  func readReply() throws -> AgentResponse {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      if let body = try decoder.next() { return try AgentResponse.decode(body) }
      let n = try client.read(into: &buffer)
      guard n > 0 else { throw AgentStreamError.closed }
      decoder.append(buffer[0..<n])
    }
  }

  /// Waits (up to a minute, for a loaded machine) until the agent's loop has ended and closed its end.
  func serverFinished() -> Bool {
    done.lock()
    defer { done.unlock() }
    let deadline = Date().addingTimeInterval(60)
    while !finished { if !done.wait(until: deadline) { break } }
    return finished
  }
}
