import SSHKeys

/// A key to put into the vault with ``VaultStore/add(_:passphrase:force:)``.
public struct VaultNewKey: Sendable {
  /// The unique name.
  public var name: String
  /// The private key.
  public var privateKey: PrivateKey
  /// The comment to store (default: the key's own comment, else the name).
  public var comment: String?
  /// The cloud key pairs this key is (from the wrapper it came in, or `--cloud`/`--region`).
  public var bindings: [VaultBinding]

  /// Describes a key to add.
  public init(name: String, privateKey: PrivateKey, comment: String? = nil, bindings: [VaultBinding] = []) {
    self.name = name
    self.privateKey = privateKey
    self.comment = comment
    self.bindings = bindings
  }
}
