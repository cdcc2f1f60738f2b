/// Where a key lives in a cloud: one key pair in one region of one account of one endpoint.
///
/// An empty cloud, account or region means unknown: a sync may find the key pair and record where in the status
/// section (``VaultStatusRecord/resolves``).
///
/// Part of the public half, so it is bound into the seal: changing it needs the passphrase.
public struct VaultBinding: Hashable, Sendable {
  /// How the key pair came to be in the cloud.
  public struct Flags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    /// Creates flags from their stored bits (unknown bits are kept as they are).
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The cloud generated the key (CreateKeyPair); it shows the `sha1-pkcs8` fingerprint.
    public static let createdByCloud = Flags(rawValue: 1 << 0)
    /// The public key was uploaded to the cloud (ImportKeyPair); it shows an `md5-spki` / `md5-ssh` fingerprint.
    public static let importedToCloud = Flags(rawValue: 1 << 1)
    /// ``VaultBinding/account`` is an account id the cloud itself returned (STS GetCallerIdentity or an EC2 owner
    /// id), not a label from the user's configuration. Never set on bindings read from a version 1 file, which
    /// could hold an access key id there.
    public static let accountFromCloud = Flags(rawValue: 1 << 2)
  }

  /// The cloud endpoint URL or the profile name that resolves to it (empty: unknown).
  public var cloud: String
  /// The account on that endpoint (empty: unknown); an account id when ``Flags/accountFromCloud`` is set.
  public var account: String
  /// The region (empty: unknown).
  public var region: String
  /// The key pair name in that region.
  public var keyName: String
  /// The fingerprint exactly as the cloud gave it (empty when unknown).
  public var cloudFingerprint: String
  /// The cloud's key pair id, e.g. `key-0123456789abcdef0` (empty when unknown, as on Eucalyptus).
  public var keyPairID: String
  /// When keyhold saw the key pair made or uploaded, in seconds since the Unix epoch (0: unknown); lets an audit
  /// call a key pair that is not listed yet pending rather than orphaned (EC2 is eventually consistent).
  public var createdAt: Int64
  /// How the key pair came to be in the cloud.
  public var flags: Flags

  /// Creates a binding.
  public init(
    cloud: String, account: String = "", region: String, keyName: String, cloudFingerprint: String = "",
    keyPairID: String = "", createdAt: Int64 = 0, flags: Flags = []
  ) {
    self.cloud = cloud
    self.account = account
    self.region = region
    self.keyName = keyName
    self.cloudFingerprint = cloudFingerprint
    self.keyPairID = keyPairID
    self.createdAt = createdAt
    self.flags = flags
  }

  /// True when `other` names the same key pair (same cloud, account, region and key name).
  public func sameKeyPair(as other: VaultBinding) -> Bool {
    cloud == other.cloud && account == other.account && region == other.region && keyName == other.keyName
  }
}
