import SSHKeys

/// The passphrase KDF of a vault: Argon2id v1.3 with its limits and salt (keyhold-vault(5), "KDF").
public struct VaultKDF: Equatable, Sendable {
  /// The only algorithm of format version 1: libsodium `crypto_pwhash_ALG_ARGON2ID13`.
  public static let argon2id13: UInt32 = 1
  /// Smallest accepted `opslimit` (libsodium `crypto_pwhash_OPSLIMIT_MIN`).
  public static let opsLimitRange: ClosedRange<UInt64> = 1...UInt64(UInt32.max)
  /// Accepted `memlimit` bytes: libsodium's minimum up to 64 GiB, so a hostile file cannot ask for absurd memory.
  public static let memLimitRange: ClosedRange<UInt64> = 8192...(64 << 30)

  /// The Argon2id limits.
  public var parameters: Sodium.KDFParameters
  /// The random salt (``Sodium/saltBytes`` bytes).
  public var salt: [UInt8]

  /// Creates a KDF description.
  public init(parameters: Sodium.KDFParameters, salt: [UInt8]) {
    self.parameters = parameters
    self.salt = salt
  }

  /// Creates a KDF description with a fresh random salt.
  public static func random(_ parameters: Sodium.KDFParameters) -> VaultKDF {
    VaultKDF(parameters: parameters, salt: Sodium.randomBytes(Sodium.saltBytes))
  }

  /// Derives the key-wrapping key from `passphrase`.
  func deriveKey(_ passphrase: SecureBytes) throws(VaultError) -> SecureBytes {
    do {
      return try Sodium.argon2id(passphrase: passphrase, salt: salt, parameters: parameters)
    } catch {
      throw .kdfFailed
    }
  }
}
