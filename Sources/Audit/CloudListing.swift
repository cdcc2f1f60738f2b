/// One key pair in a listing, reduced to what the audit compares.
public struct ListedKeyPair: Sendable, Equatable, Codable {
  /// The name.
  public var keyName: String
  /// The fingerprint the cloud shows.
  public var keyFingerprint: String
  /// The id, when the cloud gives one.
  public var keyPairId: String?

  /// Creates a listed key pair.
  public init(keyName: String, keyFingerprint: String, keyPairId: String? = nil) {
    self.keyName = keyName
    self.keyFingerprint = keyFingerprint
    self.keyPairId = keyPairId
  }
}

/// Why a scope could not be listed.
public struct ListingFailure: Sendable, Equatable, Codable {
  /// A short stable kind: `auth`, `network`, `timeout`, `throttling`, `server`, ...
  public var kind: String
  /// The one-line message.
  public var message: String

  /// Creates a failure record.
  public init(kind: String, message: String) {
    self.kind = kind
    self.message = message
  }
}

/// The result of listing one scope: its key pairs or why it failed, plus instance counts per key name.
public struct CloudListing: Sendable, Equatable {
  /// The scope listed.
  public var scope: CloudScope
  /// The key pairs, or the failure.
  public var result: Result<[ListedKeyPair], ListingFailure>
  /// Instances (any state but terminated) per key name, for the names that were asked about.
  public var instanceCounts: [String: Int]

  /// Creates a listing.
  public init(
    scope: CloudScope, result: Result<[ListedKeyPair], ListingFailure>, instanceCounts: [String: Int] = [:]
  ) {
    self.scope = scope
    self.result = result
    self.instanceCounts = instanceCounts
  }
}

extension ListingFailure: Error {}
