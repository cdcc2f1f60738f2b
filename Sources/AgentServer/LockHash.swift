import KeyholdCrypto
import SSHKeys

/// The lock passphrase of SSH_AGENTC_LOCK, kept only as a salted Argon2id hash (as OpenSSH's ssh-agent keeps it).
///
/// Why Argon2id with small limits: the hash never leaves the agent's memory, so it only has to make a memory
/// dump of a locked agent a poor source for the passphrase (often the login password); online guessing is
/// already slowed by the back-off. 2 passes over 8 MiB costs about 10 ms, so unlock stays instant and a
/// transient allocation stays small — OpenSSH makes the same trade with one bcrypt-pbkdf round.
public struct LockHash: Sendable {
  /// The lock hash parameters: 2 passes, 8 MiB.
  public static let defaultParameters = Sodium.KDFParameters(opsLimit: 2, memLimit: 8 << 20)

  private let salt: [UInt8]
  private let hash: SecureBytes
  private let parameters: Sodium.KDFParameters

  /// Hashes `passphrase` under a fresh random salt.
  public init(passphrase: SecureBytes, parameters: Sodium.KDFParameters) throws {
    self.salt = Sodium.randomBytes(Sodium.saltBytes)
    self.parameters = parameters
    self.hash = try Sodium.argon2id(passphrase: passphrase, salt: salt, parameters: parameters, length: 32)
  }

  /// True when `passphrase` is the one this hash was made from (constant-time comparison).
  public func matches(_ passphrase: SecureBytes) -> Bool {
    guard let candidate = try? Sodium.argon2id(passphrase: passphrase, salt: salt, parameters: parameters, length: 32)
    else { return false }
    return candidate.withUnsafeBytes { a in hash.withUnsafeBytes { b in SecureBytes.constantTimeEqual(a, b) } }
  }
}
