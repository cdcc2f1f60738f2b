/// Why a PKCS #11 provider could not be loaded or could not sign. Every message is one lowercase line.
public enum PKCS11Error: Error, Equatable, Sendable, CustomStringConvertible {
  /// realpath(3) failed on the provider path (`reason` is strerror's text).
  case providerNotFound(path: String, reason: String)
  /// The canonical provider path matches no pattern of the allow-list (ssh-agent(1) `-P`).
  case providerNotAllowed(path: String)
  /// posix_spawn(3) of the helper failed.
  case helperNotStarted(helper: String, reason: String)
  /// The helper died or stopped answering (a provider crash ends up here); `reason` says how it ended.
  case helperExited(reason: String)
  /// The helper answered something that is not a reply of its protocol.
  case helperProtocol(String)
  /// The provider could not be loaded or initialised, or a token call failed while keys were looked up.
  case providerFailed(String)
  /// C_Login refused the PIN.
  case incorrectPIN
  /// The token's PIN is locked or expired.
  case pinLocked
  /// The key blob is not one of the provider's keys.
  case noSuchKey
  /// The token refused or failed the signature.
  case signFailed(String)
  /// The provider was unloaded.
  case unloaded

  /// The one-line message.
  public var description: String {
    switch self {
    case .providerNotFound(let path, let reason): return "pkcs11 provider \(path) cannot be resolved: \(reason)"
    case .providerNotAllowed(let path): return "pkcs11 provider \(path) is not in the allowed providers"
    case .helperNotStarted(let helper, let reason): return "cannot start pkcs11 helper \(helper): \(reason)"
    case .helperExited(let reason): return "pkcs11 helper \(reason)"
    case .helperProtocol(let what): return "pkcs11 helper sent a malformed reply: \(what)"
    case .providerFailed(let what): return "pkcs11 provider failed: \(what)"
    case .incorrectPIN: return "pkcs11 token pin is incorrect"
    case .pinLocked: return "pkcs11 token pin is locked or expired"
    case .noSuchKey: return "no such key in the pkcs11 provider"
    case .signFailed(let what): return "pkcs11 token failed to sign: \(what)"
    case .unloaded: return "pkcs11 provider is unloaded"
    }
  }
}
