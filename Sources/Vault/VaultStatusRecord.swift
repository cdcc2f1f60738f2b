/// What the last sync or audit found for one cloud binding of one key.
///
/// Stored in the vault's status section: not sealed and not bound into the seal, so `sync` and `audit` can write it
/// without the passphrase. It is a cache: changing it can only change what audit reports, never which keys unlock.
/// That is also why it carries what a sync learns on its own: the entry's bindings are sealed, and writing them
/// needs the passphrase.
public struct VaultStatusRecord: Hashable, Sendable {
  /// Status bits.
  public struct Flags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    /// Creates flags from their stored bits (unknown bits are kept as they are).
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The key pair is gone from the cloud; the agent's `--hide-orphaned` stops offering keys whose every binding
    /// carries this flag.
    public static let orphaned = Flags(rawValue: 1 << 0)
    /// The sync found this key pair by fingerprint; it is not one of the entry's sealed bindings.
    public static let learned = Flags(rawValue: 1 << 1)
  }

  /// The entry this record is about.
  public var entryID: VaultEntryID
  /// The cloud of the key pair described (see ``VaultBinding/cloud``).
  public var cloud: String
  /// Its account.
  public var account: String
  /// Its region.
  public var region: String
  /// Its key pair name.
  public var keyName: String
  /// When the cloud was last asked, in seconds since the Unix epoch.
  public var checkedAt: Int64
  /// The state found.
  public var state: VaultSyncState
  /// The fingerprint formula that matched the cloud's value (empty when none did).
  public var matchedFingerprintKind: String
  /// How many instances still use the key pair, when the cloud was asked (nil: unknown).
  public var instancesInUse: Int?
  /// The key pair id the cloud reported (empty when none).
  public var observedKeyPairID: String
  /// A one-line detail (an error message, the name it moved to, ...), may be empty.
  public var detail: String
  /// Status bits.
  public var flags: Flags
  /// The sealed binding this record resolves, when that binding has unknown parts (an empty cloud, account or
  /// region): the record's own cloud, account, region and key name are then where the sync found it.
  public var resolves: VaultBindingKey?
  /// When a listing last showed this key pair, in seconds since the Unix epoch (0: never). Only a key pair never
  /// seen listed can be "not visible yet": the grace for eventual consistency applies to those alone.
  public var lastListedAt: Int64
  /// The fingerprint the cloud listed, exactly as given (empty when unknown).
  public var observedFingerprint: String

  /// Creates a record.
  public init(
    entryID: VaultEntryID, cloud: String, account: String = "", region: String, keyName: String, checkedAt: Int64,
    state: VaultSyncState, matchedFingerprintKind: String = "", instancesInUse: Int? = nil,
    observedKeyPairID: String = "", detail: String = "", flags: Flags = [], resolves: VaultBindingKey? = nil,
    lastListedAt: Int64 = 0, observedFingerprint: String = ""
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
    self.resolves = resolves
    self.lastListedAt = lastListedAt
    self.observedFingerprint = observedFingerprint
  }

  /// Creates a record from a state name (`in-sync`, ...), as version 1 stored it; a name that is not a
  /// ``VaultSyncState`` becomes ``VaultSyncState/error`` with the name kept in ``detail``.
  public init(
    entryID: VaultEntryID, cloud: String, account: String = "", region: String, keyName: String, checkedAt: Int64,
    state: String, matchedFingerprintKind: String = "", instancesInUse: Int? = nil, observedKeyPairID: String = "",
    detail: String = "", flags: Flags = []
  ) {
    let known = VaultSyncState(name: state)
    self.init(
      entryID: entryID, cloud: cloud, account: account, region: region, keyName: keyName, checkedAt: checkedAt,
      state: known ?? .error, matchedFingerprintKind: matchedFingerprintKind, instancesInUse: instancesInUse,
      observedKeyPairID: observedKeyPairID, detail: known == nil && detail.isEmpty ? state : detail, flags: flags)
  }

  /// The state's name (`in-sync`, `orphaned`, ...).
  public var stateName: String { state.name }

  /// The key pair the record describes (where it was found).
  public var place: VaultBindingKey {
    VaultBindingKey(cloud: cloud, account: account, region: region, keyName: keyName)
  }

  /// The sealed binding this record is about: ``resolves`` when set, else its own place; nil for a learned record.
  public var sealedBinding: VaultBindingKey? {
    flags.contains(.learned) ? nil : (resolves ?? place)
  }

  /// True when this record describes `binding` of the entry `id` (directly or by resolving it).
  public func describes(_ binding: VaultBinding, of id: VaultEntryID) -> Bool {
    entryID == id && sealedBinding == binding.key
  }
}
