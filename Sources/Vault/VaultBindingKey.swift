/// Which key pair a binding or a status record names: cloud, account, region and key pair name.
///
/// An empty cloud, account or region means unknown (keyhold-vault(5)); a sync may resolve it and record the place it
/// found in a ``VaultStatusRecord`` whose ``VaultStatusRecord/resolves`` is this key.
public struct VaultBindingKey: Hashable, Sendable {
  /// The cloud endpoint URL or profile name (empty: unknown).
  public var cloud: String
  /// The account (empty: unknown).
  public var account: String
  /// The region (empty: unknown).
  public var region: String
  /// The key pair name.
  public var keyName: String

  /// Creates a key.
  public init(cloud: String, account: String, region: String, keyName: String) {
    self.cloud = cloud
    self.account = account
    self.region = region
    self.keyName = keyName
  }

  /// True when the cloud, account or region is unknown (empty).
  public var hasUnknownParts: Bool { cloud.isEmpty || account.isEmpty || region.isEmpty }
}

extension VaultBinding {
  /// The key pair this binding names.
  public var key: VaultBindingKey {
    VaultBindingKey(cloud: cloud, account: account, region: region, keyName: keyName)
  }
}
