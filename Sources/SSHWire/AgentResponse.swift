/// A message from the agent to a client (draft-ietf-sshm-ssh-agent §3).
public enum AgentResponse: Sendable, Equatable, CustomStringConvertible {
  /// SSH_AGENT_FAILURE (5).
  case failure
  /// SSH_AGENT_SUCCESS (6).
  case success
  /// SSH2_AGENT_IDENTITIES_ANSWER (12).
  case identitiesAnswer([AgentIdentity])
  /// SSH2_AGENT_SIGN_RESPONSE (14): the signature blob.
  case signResponse(signature: [UInt8])
  /// SSH_AGENT_EXTENSION_FAILURE (28).
  case extensionFailure
  /// SSH_AGENT_EXTENSION_RESPONSE (29).
  case extensionResponse(AgentExtensionResponse)
  /// Any other message number, with the bytes after it.
  case unknown(UInt8, [UInt8])

  /// The message number.
  public var type: UInt8 {
    switch self {
    case .failure: return AgentMessageType.failure.rawValue
    case .success: return AgentMessageType.success.rawValue
    case .identitiesAnswer: return AgentMessageType.identitiesAnswer.rawValue
    case .signResponse: return AgentMessageType.signResponse.rawValue
    case .extensionFailure: return AgentMessageType.extensionFailure.rawValue
    case .extensionResponse: return AgentMessageType.extensionResponse.rawValue
    case .unknown(let t, _): return t
    }
  }

  /// The spec name of the message.
  public var description: String { AgentMessageType.name(of: type) }

  /// Decodes one message (the frame body).
  public static func decode(_ bytes: [UInt8]) throws(AgentProtocolError) -> AgentResponse {
    guard let first = bytes.first else { throw .emptyMessage }
    var r = AgentReader(bytes)
    _ = try r.byte()
    let response: AgentResponse
    switch AgentMessageType(rawValue: first) {
    case .failure: response = .failure
    case .success: response = .success
    case .identitiesAnswer:
      let count = try r.uint32()
      var ids: [AgentIdentity] = []
      // Each identity takes at least 8 bytes, so a count larger than that cannot be honest: refuse before reserving.
      guard Int(count) <= r.remaining / 8 else { throw .invalidField("identity count \(count) exceeds message") }
      ids.reserveCapacity(Int(count))
      for _ in 0..<count { ids.append(AgentIdentity(keyBlob: try r.string(), comment: try r.utf8())) }
      response = .identitiesAnswer(ids)
    case .signResponse: response = .signResponse(signature: try r.string())
    case .extensionFailure: response = .extensionFailure
    case .extensionResponse: response = .extensionResponse(try AgentExtensionResponse.read(&r))
    default: return .unknown(first, r.rest())
    }
    try r.end()
    return response
  }

  /// Encodes the message (the frame body).
  public func encode() -> [UInt8] {
    var w = SSHWriter()
    encode(into: &w)
    return w.bytes
  }

  /// Appends the message (the frame body).
  public func encode(into w: inout SSHWriter) {
    w.writeByte(type)
    switch self {
    case .failure, .success, .extensionFailure: break
    case .identitiesAnswer(let ids):
      w.writeUInt32(UInt32(ids.count))
      for id in ids {
        w.writeString(id.keyBlob)
        w.writeString(id.comment)
      }
    case .signResponse(let sig): w.writeString(sig)
    case .extensionResponse(let e): e.encode(into: &w)
    case .unknown(_, let rest): w.writeBytes(rest)
    }
  }
}

/// One entry of SSH2_AGENT_IDENTITIES_ANSWER.
public struct AgentIdentity: Sendable, Equatable, Hashable {
  /// The public key or certificate blob.
  public var keyBlob: [UInt8]
  /// The comment.
  public var comment: String

  /// Creates an entry.
  public init(keyBlob: [UInt8], comment: String) {
    self.keyBlob = keyBlob
    self.comment = comment
  }
}

/// The body of SSH_AGENT_EXTENSION_RESPONSE: `string extension name` and the extension's reply.
public enum AgentExtensionResponse: Sendable, Equatable {
  /// The reply to `query`: the supported extension names, each a `string`.
  case query([String])
  /// The reply to `vault-status@keyhold`.
  case vaultStatus(AgentVaultStatus)
  /// Any other extension's reply.
  case other(name: String, contents: [UInt8])

  /// The extension name.
  public var name: String {
    switch self {
    case .query: return AgentExtensionRequest.Name.query
    case .vaultStatus: return AgentExtensionRequest.Name.vaultStatus
    case .other(let n, _): return n
    }
  }

  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> AgentExtensionResponse {
    let name = try r.utf8()
    switch name {
    case AgentExtensionRequest.Name.query:
      var names: [String] = []
      while !r.isAtEnd { names.append(try r.utf8()) }
      return .query(names)
    case AgentExtensionRequest.Name.vaultStatus:
      return .vaultStatus(try AgentVaultStatus.read(&r))
    default:
      return .other(name: name, contents: r.rest())
    }
  }

  func encode(into w: inout SSHWriter) {
    w.writeString(name)
    switch self {
    case .query(let names): for n in names { w.writeString(n) }
    case .vaultStatus(let s): s.encode(into: &w)
    case .other(_, let rest): w.writeBytes(rest)
    }
  }
}

/// The vault's state inside the agent: `byte state, uint32 keys, uint32 seconds left, bool agent locked`.
public struct AgentVaultStatus: Sendable, Equatable {
  /// Whether the agent has a vault, and whether it is open.
  public enum State: UInt8, Sendable {
    /// The agent runs without a vault.
    case none = 0
    /// The vault's keys are known by their public halves only.
    case sealed = 1
    /// The vault's private keys are loaded.
    case open = 2
  }

  /// The vault state.
  public var state: State
  /// Number of keys the vault holds.
  public var keyCount: UInt32
  /// Seconds until the vault seals itself again (0: no timeout).
  public var secondsLeft: UInt32
  /// True when the agent itself is locked (SSH_AGENTC_LOCK).
  public var agentLocked: Bool

  /// Creates a status.
  public init(state: State, keyCount: UInt32, secondsLeft: UInt32, agentLocked: Bool) {
    self.state = state
    self.keyCount = keyCount
    self.secondsLeft = secondsLeft
    self.agentLocked = agentLocked
  }

  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> AgentVaultStatus {
    let raw = try r.byte()
    guard let state = State(rawValue: raw) else { throw .invalidField("vault state \(raw)") }
    return AgentVaultStatus(state: state, keyCount: try r.uint32(), secondsLeft: try r.uint32(), agentLocked: try r.bool())
  }

  func encode(into w: inout SSHWriter) {
    w.writeByte(state.rawValue)
    w.writeUInt32(keyCount)
    w.writeUInt32(secondsLeft)
    w.writeBool(agentLocked)
  }
}
