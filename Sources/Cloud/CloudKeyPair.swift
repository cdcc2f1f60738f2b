/// One key pair as DescribeKeyPairs (or Create/ImportKeyPair) reports it.
///
/// Only `keyName` and `keyFingerprint` are always there: Eucalyptus sends nothing else, and AWS omits `keyType` for
/// older key pairs.
public struct CloudKeyPair: Sendable, Equatable, Codable {
  /// The key pair name, unique per account and region.
  public var keyName: String
  /// The fingerprint as the cloud shows it (MD5 or SHA-1 of the key in one of several encodings, depending on
  /// the cloud and on how the key pair was made).
  public var keyFingerprint: String
  /// `key-0123...` on AWS; nil on Eucalyptus.
  public var keyPairId: String?
  /// `rsa` or `ed25519`, when the cloud says.
  public var keyType: String?
  /// The creation time as sent (ISO 8601), when the cloud says.
  public var createTime: String?
  /// The OpenSSH public key line (AWS with `IncludePublicKey=true`).
  public var publicKey: String?

  /// Creates a key pair record.
  public init(
    keyName: String, keyFingerprint: String, keyPairId: String? = nil, keyType: String? = nil,
    createTime: String? = nil, publicKey: String? = nil
  ) {
    self.keyName = keyName
    self.keyFingerprint = keyFingerprint
    self.keyPairId = keyPairId
    self.keyType = keyType
    self.createTime = createTime
    self.publicKey = publicKey
  }

  /// Reads an `item` of `keySet`, or the body of a Create/ImportKeyPair response.
  init(element e: XMLElement) throws(CloudError) {
    guard let name = e.value("keyName") else { throw .malformedResponse("key pair without keyName") }
    func opt(_ n: String) -> String? { e.value(n).flatMap { $0.isEmpty ? nil : $0 } }
    self.init(
      keyName: name, keyFingerprint: e.value("keyFingerprint") ?? "", keyPairId: opt("keyPairId"),
      keyType: opt("keyType"), createTime: opt("createTime"), publicKey: opt("publicKey"))
  }
}

/// A key pair just made by CreateKeyPair, with its private key.
///
/// `keyMaterial` is the only copy of the private key anywhere; the caller moves it into the vault and drops this
/// value. It is deliberately not `CustomStringConvertible`-friendly: `description` hides the material.
public struct CreatedKeyPair: Sendable, CustomStringConvertible {
  /// The listing fields of the new key pair.
  public var keyPair: CloudKeyPair
  /// The private key as the cloud returned it (PEM: PKCS#1 for RSA on AWS and Eucalyptus, OpenSSH for ed25519).
  public var keyMaterial: [UInt8]

  /// Creates a record.
  public init(keyPair: CloudKeyPair, keyMaterial: [UInt8]) {
    self.keyPair = keyPair
    self.keyMaterial = keyMaterial
  }

  /// Names the key pair only; never the private key.
  public var description: String { "created key pair \(keyPair.keyName)" }
}

/// A region as DescribeRegions lists it.
public struct CloudRegion: Sendable, Equatable {
  /// The region name, e.g. `eu-west-1`.
  public var name: String
  /// The host the region's EC2 endpoint lives on, when given.
  public var endpoint: String?

  /// Creates a region record.
  public init(name: String, endpoint: String? = nil) {
    self.name = name
    self.endpoint = endpoint
  }
}
