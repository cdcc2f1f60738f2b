import SSHKeys

/// The passphrase KDF of a vault: Argon2id v1.3 with its limits and salt (keyhold-vault(5), "KDF").
public struct VaultKDF: Equatable, Sendable {
  /// The only algorithm of format version 1: libsodium `crypto_pwhash_ALG_ARGON2ID13`.
  public static let argon2id13: UInt32 = 1
  /// Accepted `opslimit` (passes): libsodium's minimum (1) up to 4 × its SENSITIVE value (4), i.e. 16. The
  /// limits are read before anything authenticates them: unbounded, a hostile or damaged file could keep the CPU
  /// busy for days. The worst the two bounds allow, 16 passes over 4 GiB, takes about two minutes here.
  public static let opsLimitRange: ClosedRange<UInt64> = 1...16
  /// Accepted `memlimit` bytes: libsodium's minimum (8 KiB) up to 4 × its SENSITIVE value (1 GiB), i.e. 4 GiB;
  /// every ``VaultKDFProfile`` fits with room to spare, and a hostile file cannot make Argon2id ask for terabytes.
  public static let memLimitRange: ClosedRange<UInt64> = 8192...(4 << 30)

  /// Throws ``VaultError/kdfLimitsOutOfRange(opsLimit:memLimit:)`` unless `parameters` are within the accepted
  /// ranges (so keyhold never writes a vault it would refuse to read).
  static func validate(_ parameters: Sodium.KDFParameters) throws(VaultError) {
    guard opsLimitRange.contains(parameters.opsLimit), memLimitRange.contains(parameters.memLimit) else {
      throw .kdfLimitsOutOfRange(opsLimit: parameters.opsLimit, memLimit: parameters.memLimit)
    }
  }

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
    try Self.validate(parameters)
    do {
      return try Sodium.argon2id(passphrase: passphrase, salt: salt, parameters: parameters)
    } catch .outOfSecureMemory {
      throw .outOfSecureMemory
    } catch {
      throw .kdfFailed
    }
  }
}
