/// A key pair's place: scope and name.
public struct KeyPairLocation: Sendable, Hashable, Codable {
  /// Where.
  public var scope: CloudScope
  /// The key pair name.
  public var keyName: String

  /// Creates a location.
  public init(scope: CloudScope, keyName: String) {
    self.scope = scope
    self.keyName = keyName
  }
}

/// One line of an audit: a cloud key pair (or its absence) and what it means for a local key.
public struct AuditEntry: Sendable, Equatable, Codable {
  /// The state.
  public var state: AuditState
  /// Where.
  public var scope: CloudScope
  /// The key pair name in the cloud (the bound name for orphaned/pending keys).
  public var keyName: String
  /// The local key's name; nil for cloud-only key pairs nothing local matches.
  public var localKey: String?
  /// The fingerprint kind that matched (`sha1-pkcs8`, ...), when one did.
  public var matchedKind: String?
  /// The fingerprint the cloud shows, when listed.
  public var cloudFingerprint: String?
  /// The key pair id the cloud shows now.
  public var keyPairId: String?
  /// The key pair id the vault recorded (differs from `keyPairId` for id-changed).
  public var recordedKeyPairId: String?
  /// For moved keys: where the fingerprint is listed now.
  public var movedTo: KeyPairLocation?
  /// For orphaned and replaced keys: instances still launched with the name (nil when not asked).
  public var instancesInUse: Int?
  /// For errors: why the scope could not be listed.
  public var failure: ListingFailure?
  /// True when the match was found by fingerprint and is not yet a recorded binding (sync records it).
  public var discovered: Bool
  /// The binding as the vault stores it, when its place was incomplete (region, account or endpoint unknown) and
  /// this entry is where the audit found it, or looked for it.
  public var boundAs: KeyPairLocation?
  /// Set when this entry was carried over from an earlier sync because its scope could not be listed this time:
  /// when that earlier sync ran (Unix seconds).
  public var asOf: Int64?
  /// A further one-line explanation (why an entry is unverifiable, ...).
  public var note: String?

  /// Creates an entry.
  public init(
    state: AuditState, scope: CloudScope, keyName: String, localKey: String? = nil, matchedKind: String? = nil,
    cloudFingerprint: String? = nil, keyPairId: String? = nil, recordedKeyPairId: String? = nil,
    movedTo: KeyPairLocation? = nil, instancesInUse: Int? = nil, failure: ListingFailure? = nil,
    discovered: Bool = false, boundAs: KeyPairLocation? = nil, asOf: Int64? = nil, note: String? = nil
  ) {
    self.state = state
    self.scope = scope
    self.keyName = keyName
    self.localKey = localKey
    self.matchedKind = matchedKind
    self.cloudFingerprint = cloudFingerprint
    self.keyPairId = keyPairId
    self.recordedKeyPairId = recordedKeyPairId
    self.movedTo = movedTo
    self.instancesInUse = instancesInUse
    self.failure = failure
    self.discovered = discovered
    self.boundAs = boundAs
    self.asOf = asOf
    self.note = note
  }

  /// Where the vault says this key pair is: ``boundAs`` when the stored binding was incomplete, else the entry's
  /// own place.
  public var binding: KeyPairLocation { boundAs ?? KeyPairLocation(scope: scope, keyName: keyName) }
}
