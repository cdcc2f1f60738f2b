/// A message from a client to the agent (draft-ietf-sshm-ssh-agent §3, OpenSSH PROTOCOL.agent).
///
/// Decoding is total and canonical: every byte string either decodes or throws ``AgentProtocolError``, and what
/// decodes encodes back to the same bytes. Numbers the agent does not serve become ``unknown(_:_:)``.
public enum AgentRequest: Sendable, Equatable, CustomStringConvertible {
  /// SSH2_AGENTC_REQUEST_IDENTITIES (11).
  case requestIdentities
  /// SSH2_AGENTC_SIGN_REQUEST (13).
  case signRequest(AgentSignRequest)
  /// SSH2_AGENTC_ADD_IDENTITY (17): never carries constraints.
  case addIdentity(AgentAddIdentity)
  /// SSH2_AGENTC_ADD_ID_CONSTRAINED (25).
  case addIDConstrained(AgentAddIdentity)
  /// SSH2_AGENTC_REMOVE_IDENTITY (18): the key blob to remove.
  case removeIdentity(keyBlob: [UInt8])
  /// SSH2_AGENTC_REMOVE_ALL_IDENTITIES (19).
  case removeAllIdentities
  /// SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES (9), the protocol-1 form.
  case removeAllRSAIdentities
  /// SSH_AGENTC_ADD_SMARTCARD_KEY (20).
  case addSmartcardKey(AgentSmartcardKey)
  /// SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED (26).
  case addSmartcardKeyConstrained(AgentSmartcardKey)
  /// SSH_AGENTC_REMOVE_SMARTCARD_KEY (21).
  case removeSmartcardKey(AgentSmartcardKey)
  /// SSH_AGENTC_LOCK (22) with its passphrase.
  case lock(passphrase: [UInt8])
  /// SSH_AGENTC_UNLOCK (23) with its passphrase.
  case unlock(passphrase: [UInt8])
  /// SSH_AGENTC_EXTENSION (27).
  case `extension`(AgentExtensionRequest)
  /// Any other message number, with the bytes after it.
  case unknown(UInt8, [UInt8])

  /// The message number.
  public var type: UInt8 {
    switch self {
    case .requestIdentities: return AgentMessageType.requestIdentities.rawValue
    case .signRequest: return AgentMessageType.signRequest.rawValue
    case .addIdentity: return AgentMessageType.addIdentity.rawValue
    case .addIDConstrained: return AgentMessageType.addIDConstrained.rawValue
    case .removeIdentity: return AgentMessageType.removeIdentity.rawValue
    case .removeAllIdentities: return AgentMessageType.removeAllIdentities.rawValue
    case .removeAllRSAIdentities: return AgentMessageType.removeAllRSAIdentities.rawValue
    case .addSmartcardKey: return AgentMessageType.addSmartcardKey.rawValue
    case .addSmartcardKeyConstrained: return AgentMessageType.addSmartcardKeyConstrained.rawValue
    case .removeSmartcardKey: return AgentMessageType.removeSmartcardKey.rawValue
    case .lock: return AgentMessageType.lock.rawValue
    case .unlock: return AgentMessageType.unlock.rawValue
    case .extension: return AgentMessageType.extension.rawValue
    case .unknown(let t, _): return t
    }
  }

  /// The spec name of the message (for logs). Never includes secrets.
  public var description: String {
    switch self {
    case .extension(let e): return "\(AgentMessageType.extension.specName) \(e.name)"
    default: return AgentMessageType.name(of: type)
    }
  }

  /// Decodes one message (the frame body, without its length).
  public static func decode(_ bytes: [UInt8]) throws(AgentProtocolError) -> AgentRequest {
    guard let first = bytes.first else { throw .emptyMessage }
    var r = AgentReader(bytes)
    _ = try r.byte()
    let request: AgentRequest
    switch AgentMessageType(rawValue: first) {
    case .requestIdentities: request = .requestIdentities
    case .signRequest: request = .signRequest(try AgentSignRequest.read(&r))
    case .addIdentity:
      let add = try AgentAddIdentity.read(&r, constrained: false)
      request = .addIdentity(add)
    case .addIDConstrained: request = .addIDConstrained(try AgentAddIdentity.read(&r, constrained: true))
    case .removeIdentity: request = .removeIdentity(keyBlob: try r.string())
    case .removeAllIdentities: request = .removeAllIdentities
    case .removeAllRSAIdentities: request = .removeAllRSAIdentities
    case .addSmartcardKey: request = .addSmartcardKey(try AgentSmartcardKey.read(&r, constrained: false))
    case .addSmartcardKeyConstrained:
      request = .addSmartcardKeyConstrained(try AgentSmartcardKey.read(&r, constrained: true))
    case .removeSmartcardKey: request = .removeSmartcardKey(try AgentSmartcardKey.read(&r, constrained: false))
    case .lock: request = .lock(passphrase: try r.string())
    case .unlock: request = .unlock(passphrase: try r.string())
    case .extension: request = .extension(try AgentExtensionRequest.read(&r))
    default: return .unknown(first, r.rest())
    }
    try r.end()
    return request
  }

  /// Encodes the message (the frame body, without its length).
  public func encode() -> [UInt8] {
    var w = SSHWriter()
    w.writeByte(type)
    switch self {
    case .requestIdentities, .removeAllIdentities, .removeAllRSAIdentities: break
    case .signRequest(let s): s.encode(into: &w)
    case .addIdentity(let a), .addIDConstrained(let a): a.encode(into: &w)
    case .removeIdentity(let blob): w.writeString(blob)
    case .addSmartcardKey(let s), .addSmartcardKeyConstrained(let s), .removeSmartcardKey(let s): s.encode(into: &w)
    case .lock(let p), .unlock(let p): w.writeString(p)
    case .extension(let e): e.encode(into: &w)
    case .unknown(_, let rest): w.writeBytes(rest)
    }
    return w.bytes
  }
}

/// The body of SSH2_AGENTC_SIGN_REQUEST: `string key blob, string data, uint32 flags`.
public struct AgentSignRequest: Sendable, Equatable {
  /// The public key (or certificate) blob naming the key to sign with.
  public var keyBlob: [UInt8]
  /// The data to sign.
  public var data: [UInt8]
  /// SSH_AGENT_RSA_SHA2_256 (2), SSH_AGENT_RSA_SHA2_512 (4).
  public var flags: UInt32

  /// Creates a sign request.
  public init(keyBlob: [UInt8], data: [UInt8], flags: UInt32) {
    self.keyBlob = keyBlob
    self.data = data
    self.flags = flags
  }

  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> AgentSignRequest {
    AgentSignRequest(keyBlob: try r.string(), data: try r.string(), flags: try r.uint32())
  }

  func encode(into w: inout SSHWriter) {
    w.writeString(keyBlob)
    w.writeString(data)
    w.writeUInt32(flags)
  }
}

/// The body of SSH2_AGENTC_ADD_IDENTITY / SSH2_AGENTC_ADD_ID_CONSTRAINED: key, comment, constraints.
public struct AgentAddIdentity: Sendable, Equatable {
  /// The private key in wire form (raw bytes; SSHKeys parses them).
  public var key: AgentPrivateKeyWire
  /// The key comment.
  public var comment: String
  /// The constraints (always empty for SSH2_AGENTC_ADD_IDENTITY).
  public var constraints: [AgentConstraint]

  /// Creates an add request body.
  public init(key: AgentPrivateKeyWire, comment: String, constraints: [AgentConstraint] = []) {
    self.key = key
    self.comment = comment
    self.constraints = constraints
  }

  static func read(_ r: inout AgentReader, constrained: Bool) throws(AgentProtocolError) -> AgentAddIdentity {
    let key = try AgentPrivateKeyWire.read(&r)
    let comment = try r.utf8()
    let constraints = constrained ? try AgentConstraint.readAll(&r) : []
    return AgentAddIdentity(key: key, comment: comment, constraints: constraints)
  }

  func encode(into w: inout SSHWriter) {
    w.writeBytes(key.bytes)
    w.writeString(comment)
    for c in constraints { c.encode(into: &w) }
  }
}

/// The body of the smartcard messages (20, 21, 26): `string reader id, string PIN [, constraints]`.
public struct AgentSmartcardKey: Sendable, Equatable {
  /// The PKCS#11 provider path.
  public var id: String
  /// The PIN.
  public var pin: [UInt8]
  /// Constraints (message 26 only).
  public var constraints: [AgentConstraint]

  /// Creates a smartcard request body.
  public init(id: String, pin: [UInt8], constraints: [AgentConstraint] = []) {
    self.id = id
    self.pin = pin
    self.constraints = constraints
  }

  static func read(_ r: inout AgentReader, constrained: Bool) throws(AgentProtocolError) -> AgentSmartcardKey {
    let id = try r.utf8()
    let pin = try r.string()
    let constraints = constrained ? try AgentConstraint.readAll(&r) : []
    return AgentSmartcardKey(id: id, pin: pin, constraints: constraints)
  }

  func encode(into w: inout SSHWriter) {
    w.writeString(id)
    w.writeString(pin)
    for c in constraints { c.encode(into: &w) }
  }
}
