/// The message numbers of the SSH agent protocol (draft-ietf-sshm-ssh-agent §5.1, OpenSSH PROTOCOL.agent).
///
/// Each case prints as its name in the specification, so logs read `SSH2_AGENTC_SIGN_REQUEST`, not `13`.
public enum AgentMessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  /// SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES: the protocol-1 "remove all"; OpenSSH clients still send it.
  case removeAllRSAIdentities = 9
  /// SSH_AGENTC_REQUEST_IDENTITIES.
  case requestIdentities = 11
  /// SSH_AGENT_IDENTITIES_ANSWER.
  case identitiesAnswer = 12
  /// SSH_AGENTC_SIGN_REQUEST.
  case signRequest = 13
  /// SSH_AGENT_SIGN_RESPONSE.
  case signResponse = 14
  /// SSH_AGENTC_ADD_IDENTITY.
  case addIdentity = 17
  /// SSH_AGENTC_REMOVE_IDENTITY.
  case removeIdentity = 18
  /// SSH_AGENTC_REMOVE_ALL_IDENTITIES.
  case removeAllIdentities = 19
  /// SSH_AGENTC_ADD_SMARTCARD_KEY.
  case addSmartcardKey = 20
  /// SSH_AGENTC_REMOVE_SMARTCARD_KEY.
  case removeSmartcardKey = 21
  /// SSH_AGENTC_LOCK.
  case lock = 22
  /// SSH_AGENTC_UNLOCK.
  case unlock = 23
  /// SSH_AGENTC_ADD_ID_CONSTRAINED.
  case addIDConstrained = 25
  /// SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED.
  case addSmartcardKeyConstrained = 26
  /// SSH_AGENTC_EXTENSION.
  case `extension` = 27
  /// SSH_AGENT_FAILURE.
  case failure = 5
  /// SSH_AGENT_SUCCESS.
  case success = 6
  /// SSH_AGENT_EXTENSION_FAILURE.
  case extensionFailure = 28
  /// SSH_AGENT_EXTENSION_RESPONSE.
  case extensionResponse = 29

  /// The name the specification (and OpenSSH's logs) use for this message number.
  public var specName: String {
    switch self {
    case .removeAllRSAIdentities: return "SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES"
    case .requestIdentities: return "SSH2_AGENTC_REQUEST_IDENTITIES"
    case .identitiesAnswer: return "SSH2_AGENT_IDENTITIES_ANSWER"
    case .signRequest: return "SSH2_AGENTC_SIGN_REQUEST"
    case .signResponse: return "SSH2_AGENT_SIGN_RESPONSE"
    case .addIdentity: return "SSH2_AGENTC_ADD_IDENTITY"
    case .removeIdentity: return "SSH2_AGENTC_REMOVE_IDENTITY"
    case .removeAllIdentities: return "SSH2_AGENTC_REMOVE_ALL_IDENTITIES"
    case .addSmartcardKey: return "SSH_AGENTC_ADD_SMARTCARD_KEY"
    case .removeSmartcardKey: return "SSH_AGENTC_REMOVE_SMARTCARD_KEY"
    case .lock: return "SSH_AGENTC_LOCK"
    case .unlock: return "SSH_AGENTC_UNLOCK"
    case .addIDConstrained: return "SSH2_AGENTC_ADD_ID_CONSTRAINED"
    case .addSmartcardKeyConstrained: return "SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED"
    case .extension: return "SSH_AGENTC_EXTENSION"
    case .failure: return "SSH_AGENT_FAILURE"
    case .success: return "SSH_AGENT_SUCCESS"
    case .extensionFailure: return "SSH_AGENT_EXTENSION_FAILURE"
    case .extensionResponse: return "SSH_AGENT_EXTENSION_RESPONSE"
    }
  }

  public var description: String { specName }

  /// The spec name for any message number, `UNKNOWN(n)` for numbers the protocol does not define.
  public static func name(of number: UInt8) -> String {
    AgentMessageType(rawValue: number)?.specName ?? "UNKNOWN(\(number))"
  }
}
