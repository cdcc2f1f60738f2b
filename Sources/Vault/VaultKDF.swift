import KeyholdCrypto
import SSHKeys

/// The passphrase KDF of a vault: Argon2id v1.3 with its limits and salt (keyhold-vault(5), "KDF").
public struct VaultKDF: Equatable, Sendable {
  /// The only algorithm of format versions 1 and 2: libsodium `crypto_pwhash_ALG_ARGON2ID13`.
  public static let argon2id13: UInt32 = 1
  /// Accepted `opslimit` (passes): what keyhold writes, libsodium's minimum (1) to its SENSITIVE value (4). The
  /// limits are read before anything authenticates them, so anything else is an altered header, refused before
  /// Argon2id runs: a hostile file must not keep the CPU busy and then blame the passphrase.
  public static let opsLimitRange: ClosedRange<UInt64> =
    Sodium.KDFParameters.minimum.opsLimit...VaultKDFProfile.sensitive.parameters.opsLimit
  /// Accepted `memlimit` bytes: libsodium's minimum (8 KiB) to its SENSITIVE value (1 GiB), what keyhold writes.
  public static let memLimitRange: ClosedRange<UInt64> =
    Sodium.KDFParameters.minimum.memLimit...VaultKDFProfile.sensitive.parameters.memLimit

  /// Throws ``VaultError/alteredHeader(_:)`` unless `parameters` are within the accepted ranges (so keyhold never
  /// writes a vault it would refuse to read, and never runs Argon2id on limits it did not write).
  static func validate(_ parameters: Sodium.KDFParameters) throws(VaultError) {
    let ops = parameters.opsLimit
    let mem = parameters.memLimit
    if ops > opsLimitRange.upperBound {
      throw .alteredHeader("opslimit \(ops) exceeds the largest keyhold writes (\(opsLimitRange.upperBound))")
    }
    if ops < opsLimitRange.lowerBound {
      throw .alteredHeader("opslimit \(ops) is below the smallest keyhold writes (\(opsLimitRange.lowerBound))")
    }
    if mem > memLimitRange.upperBound {
      throw .alteredHeader(
        "memory limit \(mem) bytes exceeds the largest keyhold writes (\(memLimitRange.upperBound) bytes)")
    }
    if mem < memLimitRange.lowerBound {
      throw .alteredHeader(
        "memory limit \(mem) bytes is below the smallest keyhold writes (\(memLimitRange.lowerBound) bytes)")
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
