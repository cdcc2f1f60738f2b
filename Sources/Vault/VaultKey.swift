import SSHKeys

/// An unlocked key: its public entry and its private key, parsed and ready to sign.
public struct VaultKey: Sendable {
  /// The public record (name, bindings, ...).
  public let entry: VaultEntry
  /// The private key; its secret parts stay in guarded memory.
  public let privateKey: PrivateKey

  /// Pairs an entry with its key.
  public init(entry: VaultEntry, privateKey: PrivateKey) {
    self.entry = entry
    self.privateKey = privateKey
  }
}
