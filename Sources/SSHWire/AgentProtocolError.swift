/// Why bytes are not a well-formed agent message. Every agent decoder throws one of these instead of trapping.
public enum AgentProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A field could not be read (truncated, trailing bytes, bad boolean, ...).
  case malformed(WireError)
  /// The message has no type byte.
  case emptyMessage
  /// The message number is not the one this decoder reads.
  case unexpectedType(UInt8)
  /// A key constraint byte the protocol does not define (an unknown constraint makes the add fail, as in OpenSSH's ssh-agent).
  case unknownConstraint(UInt8)
  /// A constraint extension whose name is not known, so its length cannot be known either.
  case unknownConstraintExtension(String)
  /// The same constraint appears twice in one add request.
  case duplicateConstraint(String)
  /// The private key's type names no layout the agent protocol defines.
  case unknownKeyType(String)
  /// A restrict-destination constraint breaks the rules of PROTOCOL.agent §2.
  case invalidDestinationConstraint(String)
  /// A field holds a value its structure forbids.
  case invalidField(String)

  public var description: String {
    switch self {
    case .malformed(let e): return "malformed agent message: \(e)"
    case .emptyMessage: return "empty agent message"
    case .unexpectedType(let t): return "unexpected agent message \(AgentMessageType.name(of: t))"
    case .unknownConstraint(let c): return "unknown key constraint \(c)"
    case .unknownConstraintExtension(let n): return "unknown key constraint extension \(n)"
    case .duplicateConstraint(let n): return "duplicate key constraint \(n)"
    case .unknownKeyType(let t): return "unknown private key type \(t)"
    case .invalidDestinationConstraint(let why): return "invalid destination constraint: \(why)"
    case .invalidField(let why): return "invalid field: \(why)"
    }
  }
}
