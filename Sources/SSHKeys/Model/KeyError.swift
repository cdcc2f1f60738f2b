import KeyholdCrypto

/// Why a key could not be read, made, or used. Descriptions are one lowercase line.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The key type is one keyhold does not support (ssh-dss, sk-*, RSA under 2048 bits, ...).
  case unsupportedKeyType(String)
  /// The input is not a key in any container keyhold reads.
  case unrecognizedFormat(String)
  /// The container is damaged (truncated PEM, bad base64, inconsistent fields, ...).
  case malformed(String)
  /// The key is encrypted and needs a passphrase.
  case passphraseRequired
  /// The passphrase did not decrypt the key.
  case wrongPassphrase
  /// The cipher or KDF protecting the key is not supported.
  case unsupportedCipher(String)
  /// The signature could not be made.
  case signingFailed(String)
  /// A low-level crypto library call failed.
  case cryptoFailure(String)
  /// Not implemented yet.
  case notImplemented(String)
  /// Guarded memory for the key's secrets could not be had (see ``SecureBytes/allocate(count:fill:)``).
  case outOfSecureMemory

  public var description: String {
    switch self {
    case .unsupportedKeyType(let t): return "unsupported key type: \(t)"
    case .unrecognizedFormat(let why): return "not a key file keyhold can read: \(why)"
    case .malformed(let why): return "malformed key: \(why)"
    case .passphraseRequired: return "key is encrypted and no passphrase was given"
    case .wrongPassphrase: return "incorrect passphrase"
    case .unsupportedCipher(let c): return "unsupported key encryption: \(c)"
    case .signingFailed(let why): return "signing failed: \(why)"
    case .cryptoFailure(let why): return "crypto library error: \(why)"
    case .notImplemented(let what): return "not implemented: \(what)"
    case .outOfSecureMemory: return "out of secure memory for the key"
    }
  }

  /// The key error for a failed guarded allocation.
  init(_ failure: SecureBytes.AllocationError) { self = .outOfSecureMemory }
}
