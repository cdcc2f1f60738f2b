import KeyholdCrypto
import SSHKeys

/// Named Argon2id strengths for `keyhold init --kdf` and `keyhold passwd --kdf`.
public enum VaultKDFProfile: String, Sendable, CaseIterable {
  /// libsodium INTERACTIVE: 2 passes, 64 MiB (about 0.1 s here).
  case interactive
  /// libsodium MODERATE: 3 passes, 256 MiB (about 1.5 s here). The default.
  case moderate
  /// libsodium SENSITIVE: 4 passes, 1 GiB (about 8 s here).
  case sensitive
  /// libsodium's minimum limits. For tests only: it protects nothing.
  case minimum = "min"

  /// The default: the vault is unlocked once per agent session, and a stolen copy can be attacked offline, so
  /// 1.5 s of the user's time buys a 15-fold higher cost per guess than INTERACTIVE.
  public static let `default` = VaultKDFProfile.moderate

  /// The Argon2id limits of the profile.
  public var parameters: Sodium.KDFParameters {
    switch self {
    case .interactive: return .interactive
    case .moderate: return .moderate
    // libsodium's crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE / MEMLIMIT_SENSITIVE.
    case .sensitive: return Sodium.KDFParameters(opsLimit: 4, memLimit: 1 << 30)
    case .minimum: return .minimum
    }
  }
}
