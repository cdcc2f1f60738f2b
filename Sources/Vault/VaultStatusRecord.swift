/// What the last sync or audit found for one cloud binding of one key.
///
/// Stored in the vault's status section: not sealed and not bound into the seal, so `sync` and `audit` can write it
/// without the passphrase. It is a cache: changing it can only change what audit reports, never which keys unlock.
public struct VaultStatusRecord: Hashable, Sendable {
  /// Status bits.
  public struct Flags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    /// Creates flags from their stored bits (unknown bits are kept as they are).
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The key pair is gone from the cloud; the agent's `--hide-orphaned` stops offering keys whose every binding
    /// carries this flag.
    public static let orphaned = Flags(rawValue: 1 << 0)
  }

  /// The entry this record is about.
  public var entryID: VaultEntryID
  /// The binding's cloud (see ``VaultBinding/cloud``).
  public var cloud: String
  /// The binding's account.
  public var account: String
  /// The binding's region.
  public var region: String
  /// The binding's key pair name.
  public var keyName: String
  /// When the cloud was last asked, in seconds since the Unix epoch.
  public var checkedAt: Int64
  /// The state found (`in-sync`, `orphaned`, `replaced`, ... as DESIGN §6 names them).
  public var state: String
  /// The fingerprint formula that matched the cloud's value (empty when none did).
  public var matchedFingerprintKind: String
  /// How many instances still use the key pair, when the cloud was asked.
  public var instancesInUse: Int?
  /// The key pair id the cloud reported (empty when none).
  public var observedKeyPairID: String
  /// A one-line detail (an error message, the name it moved to, ...), may be empty.
  public var detail: String
  /// Status bits.
  public var flags: Flags

  /// Creates a record.
  public init(
    entryID: VaultEntryID, cloud: String, account: String = "", region: String, keyName: String, checkedAt: Int64,
    state: String,
    matchedFingerprintKind: String = "", instancesInUse: Int? = nil, observedKeyPairID: String = "",
    detail: String = "", flags: Flags = []
  ) {
    self.entryID = entryID
    self.cloud = cloud
    self.account = account
    self.region = region
    self.keyName = keyName
    self.checkedAt = checkedAt
    self.state = state
    self.matchedFingerprintKind = matchedFingerprintKind
    self.instancesInUse = instancesInUse
    self.observedKeyPairID = observedKeyPairID
    self.detail = detail
    self.flags = flags
  }

  /// The binding this record is about, as far as the record names it.
  var bindingKey: (String, String, String, String) { (cloud, account, region, keyName) }

  /// True when this record describes `binding` of the entry `id`.
  public func describes(_ binding: VaultBinding, of id: VaultEntryID) -> Bool {
    entryID == id && cloud == binding.cloud && account == binding.account && region == binding.region
      && keyName == binding.keyName
  }
}
