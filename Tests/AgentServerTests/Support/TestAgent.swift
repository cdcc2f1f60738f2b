import AgentServer
import Foundation
import SSHKeys
import SSHWire
import Synchronization
import TestSupport

/// An agent served on a fresh socket in a temporary folder, for tests that speak the protocol over a real socket.
final class TestAgent: @unchecked Sendable {
  let directory: String
  let path: String
  let agent: Agent
  let listener: AgentListener

  init(
    configuration: AgentConfiguration = AgentConfiguration(), source: (any AgentKeySource)? = nil,
    verify: (@Sendable ([UInt8], [UInt8], [UInt8]) -> Bool)? = nil
  ) throws {
    directory = TemporaryTree.make("keyhold-agent")
    path = directory + "/agent.sock"
    agent = Agent(configuration: configuration, source: source, verifyHostSignature: verify)
    listener = try AgentListener.bind(path: path)
    listener.serveInBackground(agent)
  }

  func client() throws -> AgentClient { try AgentClient(path: path) }

  deinit {
    listener.stop()
    TemporaryTree.remove(directory)
  }
}

/// A clock the test moves by hand.
final class ManualClock: AgentClock, @unchecked Sendable {
  private let value = Mutex<UInt64>(1000)
  func now() -> UInt64 { value.withLock { $0 } }
  func advance(_ seconds: UInt64) { value.withLock { $0 += seconds } }
}

/// Reads until EOF or error; true when the peer closed the connection.
func connectionIsClosed(_ client: AgentClient) -> Bool {
  var byte: UInt8 = 0
  var tv = timeval(tv_sec: 60, tv_usec: 0)  // an answer on a loaded machine; only a failing test waits it out
  setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
  let n = read(client.fd, &byte, 1)
  return n == 0 || (n < 0 && errno == ECONNRESET)
}
