import KeyholdCrypto
import SSHKeys

/// Where the agent's second set of keys comes from: the vault, handed in by the command-line tool so that the
/// agent never imports the vault module (ARCHITECTURE.md, Module stack).
///
/// Public keys are known without the passphrase, so the agent can list them while the vault is sealed and open
/// it on first use (lazy unlock).
public protocol AgentKeySource: Sendable {
  /// The public halves of the source's keys, in listing order. Called while the vault is sealed.
  func publicKeys() throws -> [AgentSourceKey]
  /// Opens the source with `passphrase` and returns its private keys (each with its comment).
  func unlock(passphrase: SecureBytes) throws -> [PrivateKey]
  /// A value that changes whenever the public keys may have changed (e.g. the vault file's modification time), so
  /// the agent re-reads them; cheap, called before listings.
  func generation() -> UInt64
  /// The private keys of the source as it is now, read with what the last successful ``unlock(passphrase:)`` kept
  /// open (the vault's data key), without the passphrase; nil when the source keeps nothing open. A throw means
  /// what was kept no longer opens the source: the agent seals it.
  func reload() throws -> [PrivateKey]?
  /// Forgets what the last unlock kept open (on lock, seal and timeout).
  func close()
}

extension AgentKeySource {
  /// Sources that never change report a constant generation.
  public func generation() -> UInt64 { 0 }
  /// Sources that keep nothing open cannot be re-read without the passphrase.
  public func reload() throws -> [PrivateKey]? { nil }
  /// Sources that keep nothing open have nothing to forget.
  public func close() {}
}

/// The public half of a key held by an ``AgentKeySource``.
public struct AgentSourceKey: Sendable, Equatable {
  /// The public key blob.
  public var blob: [UInt8]
  /// The comment (the key's name).
  public var comment: String
  /// True when the agent should not offer the key in listings (e.g. the cloud key pair is orphaned).
  public var hidden: Bool

  /// Creates an entry.
  public init(blob: [UInt8], comment: String, hidden: Bool = false) {
    self.blob = blob
    self.comment = comment
    self.hidden = hidden
  }
}
