/// A key held locally, as the audit sees it: a name, every fingerprint formula computable for it, and its bindings.
public struct LocalKey: Sendable, Equatable {
  /// The key's name in the vault.
  public var name: String
  /// Fingerprints by kind (`sha1-pkcs8`, `md5-spki`, `md5-ssh`, `sha256-b64`, `sha1-spki`, `sha256-spki-hex`).
  public var fingerprints: [String: String]
  /// The cloud key pairs this key stands for.
  public var bindings: [KeyBinding]
  /// Whether the private half is held (a public-only entry makes a matching key pair count as cloud-only).
  public var hasPrivateKey: Bool

  /// Creates a local key record.
  public init(name: String, fingerprints: [String: String], bindings: [KeyBinding] = [], hasPrivateKey: Bool = true) {
    self.name = name
    self.fingerprints = fingerprints
    self.bindings = bindings
    self.hasPrivateKey = hasPrivateKey
  }
}
