/// What the vault remembers about one cloud key pair a local key stands for.
public struct KeyBinding: Hashable, Sendable, Codable {
  /// Where the key pair is.
  public var scope: CloudScope
  /// Its name there.
  public var keyName: String
  /// Its id when the cloud gives one (AWS `key-...`; nil on Eucalyptus).
  public var keyPairId: String?
  /// When keyhold made or uploaded it (Unix seconds), so a key pair not listed yet can be called pending.
  public var createdAt: Int64?
  /// Whether an earlier sync already saw the key pair listed: then a missing name is gone, not "not visible yet".
  public var seenBefore: Bool

  /// Creates a binding.
  public init(
    scope: CloudScope, keyName: String, keyPairId: String? = nil, createdAt: Int64? = nil, seenBefore: Bool = false
  ) {
    self.scope = scope
    self.keyName = keyName
    self.keyPairId = keyPairId
    self.createdAt = createdAt
    self.seenBefore = seenBefore
  }
}
