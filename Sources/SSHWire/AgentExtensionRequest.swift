/// The extensions of SSH_AGENTC_EXTENSION the agent knows (draft-ietf-sshm-ssh-agent §3.8, PROTOCOL.agent §1),
/// plus keyhold's own vault extensions.
public enum AgentExtensionRequest: Sendable, Equatable {
  /// `session-bind@openssh.com`: binds the connection to an SSH session (PROTOCOL.agent §1).
  case sessionBind(SessionBind)
  /// `query`: asks which extensions the agent supports.
  case query
  /// `vault-unlock@keyhold`: opens the vault with `passphrase`; after `timeoutSeconds` (0: never) it seals again.
  case vaultUnlock(passphrase: [UInt8], timeoutSeconds: UInt32)
  /// `vault-lock@keyhold`: seals the vault and forgets its keys.
  case vaultLock
  /// `vault-status@keyhold`: reports the vault's state.
  case vaultStatus
  /// Any other extension: its name and the bytes after the name.
  case other(name: String, contents: [UInt8])

  /// Extension names.
  public enum Name {
    /// OpenSSH's session binding.
    public static let sessionBind = "session-bind@openssh.com"
    /// Extension discovery.
    public static let query = "query"
    /// keyhold: open the vault inside the agent.
    public static let vaultUnlock = "vault-unlock@keyhold"
    /// keyhold: seal the vault inside the agent.
    public static let vaultLock = "vault-lock@keyhold"
    /// keyhold: report the vault's state.
    public static let vaultStatus = "vault-status@keyhold"
  }

  /// The extension name.
  public var name: String {
    switch self {
    case .sessionBind: return Name.sessionBind
    case .query: return Name.query
    case .vaultUnlock: return Name.vaultUnlock
    case .vaultLock: return Name.vaultLock
    case .vaultStatus: return Name.vaultStatus
    case .other(let n, _): return n
    }
  }

  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> AgentExtensionRequest {
    let name = try r.utf8()
    switch name {
    case Name.sessionBind: return .sessionBind(try SessionBind.read(&r))
    case Name.query: return .query
    case Name.vaultUnlock: return .vaultUnlock(passphrase: try r.string(), timeoutSeconds: try r.uint32())
    case Name.vaultLock: return .vaultLock
    case Name.vaultStatus: return .vaultStatus
    default: return .other(name: name, contents: r.rest())
    }
  }

  func encode(into w: inout SSHWriter) {
    w.writeString(name)
    switch self {
    case .sessionBind(let b): b.encode(into: &w)
    case .query, .vaultLock, .vaultStatus: break
    case .vaultUnlock(let p, let t):
      w.writeString(p)
      w.writeUInt32(t)
    case .other(_, let rest): w.writeBytes(rest)
    }
  }
}

/// The body of `session-bind@openssh.com`: `string hostkey, string session id, string signature, bool forwarding`.
public struct SessionBind: Sendable, Equatable {
  /// The server's host key blob.
  public var hostKey: [UInt8]
  /// The exchange hash of the session's first key exchange (RFC 4253 §7.2).
  public var sessionID: [UInt8]
  /// The host key's signature over the session id, as sent in the KEX reply.
  public var signature: [UInt8]
  /// True when the connection is bound for forwarding rather than authentication.
  public var isForwarding: Bool

  /// Creates a binding.
  public init(hostKey: [UInt8], sessionID: [UInt8], signature: [UInt8], isForwarding: Bool) {
    self.hostKey = hostKey
    self.sessionID = sessionID
    self.signature = signature
    self.isForwarding = isForwarding
  }

  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> SessionBind {
    SessionBind(hostKey: try r.string(), sessionID: try r.string(), signature: try r.string(), isForwarding: try r.bool())
  }

  func encode(into w: inout SSHWriter) {
    w.writeString(hostKey)
    w.writeString(sessionID)
    w.writeString(signature)
    w.writeBool(isForwarding)
  }
}
