import SSHKeys
import SSHWire

/// Why the agent refused a request. Every handler throws one of these; ``Agent/respond(to:connection:)`` turns each
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
    case .refusedByUser: return "user refused use of the key"
    case .notPermitted(let why): return "destination restriction: \(why)"
    case .unsupported(let what): return "unsupported: \(what)"
    case .noVault: return "agent has no vault"
    case .vault(let why): return "vault: \(why)"
    case .sessionBind(let why): return "session-bind: \(why)"
    case .extension(let inner): return inner.description
    }
  }

  /// The response that reports this failure.
  var response: AgentResponse {
    if case .extension = self { return .extensionFailure }
    return .failure
  }
}
