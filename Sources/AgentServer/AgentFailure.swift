import SSHKeys
import SSHWire

/// Why the agent refused a request. Every handler throws one of these; ``Agent/process(_:connection:)`` turns each
/// into SSH_AGENT_FAILURE (or SSH_AGENT_EXTENSION_FAILURE for a known extension) at exactly one place.
enum AgentFailure: Error, CustomStringConvertible {
  case malformed(AgentProtocolError)
  case locked
  case notLocked
  case alreadyLocked
  case emptyPassphrase
  case wrongPassphrase
  case keyNotFound
  case badKey(KeyError)
  case certificateMismatch
  case refusedByUser
  case notPermitted(String)
  case unsupported(String)
  case noVault
  case vault(String)
  case sessionBind(String)
  /// A known extension failed: answered with SSH_AGENT_EXTENSION_FAILURE.
  indirect case `extension`(AgentFailure)

  var description: String {
    switch self {
    case .malformed(let e): return e.description
    case .locked: return "agent is locked"
    case .notLocked: return "agent is not locked"
    case .alreadyLocked: return "agent is already locked"
    case .emptyPassphrase: return "empty passphrase not supported"
    case .wrongPassphrase: return "incorrect passphrase"
    case .keyNotFound: return "key not found"
    case .badKey(let e): return e.description
    case .certificateMismatch: return "certificate does not match its private key"
    case .refusedByUser: return "user refused use of the key"
    case .notPermitted(let why): return "destination restriction: \(why)"
    case .unsupported(let what): return "unsupported: \(what)"
    case .noVault: return "agent has no vault"
    case .vault(let why): return "vault: \(why)"
    case .sessionBind(let why): return "session-bind: \(why)"
    case .extension(let inner): return inner.description
    }
  }

  /// The framed reply that reports this failure.
  var reply: [UInt8] {
    if case .extension = self { return AgentReplies.extensionFailure }
    return AgentReplies.failure
  }
}

/// Pre-framed fixed replies, built once.
enum AgentReplies {
  static let failure: [UInt8] = [0, 0, 0, 1, AgentMessageType.failure.rawValue]
  static let success: [UInt8] = [0, 0, 0, 1, AgentMessageType.success.rawValue]
  static let extensionFailure: [UInt8] = [0, 0, 0, 1, AgentMessageType.extensionFailure.rawValue]
  static let noIdentities: [UInt8] = [0, 0, 0, 5, AgentMessageType.identitiesAnswer.rawValue, 0, 0, 0, 0]

  /// Frames a response.
  static func frame(_ response: AgentResponse) -> [UInt8] {
    var w = SSHWriter(capacity: 64)
    w.writeUInt32(0)
    response.encode(into: &w)
    var bytes = w.bytes
    let n = UInt32(bytes.count - 4)
    bytes[0] = UInt8(truncatingIfNeeded: n >> 24)
    bytes[1] = UInt8(truncatingIfNeeded: n >> 16)
    bytes[2] = UInt8(truncatingIfNeeded: n >> 8)
    bytes[3] = UInt8(truncatingIfNeeded: n)
    return bytes
  }
}
