/// What the agent knows about which keys open which SSH servers, so a connection bound to a server
/// (`session-bind@openssh.com`, PROTOCOL.agent §1) is offered the right key first.
///
/// Fingerprints are OpenSSH's `SHA256:` form of the public key blob (`ssh-keygen -l`), for host keys and user keys
/// alike: the same strings the hosts file and `keyhold hosts` show. The agent never reads files itself; the CLI
/// hands it a directory backed by the hosts book (keyhold-hosts(1)).
public protocol HostDirectory: AnyObject, Sendable {
  /// The current index. Called for every listing on a bound connection, so it must be cheap: a snapshot kept in
  /// memory and replaced when the underlying records change.
  func index() -> HostKeyIndex

  /// One user-authentication signature made on a bound connection. Called on the signing path after the
  /// signature is made: it must return at once (queue the write), and failures are the directory's to report.
  func record(_ use: HostUse)
}

/// A snapshot of host knowledge: host key fingerprint → fingerprints of the keys known to open that host.
public struct HostKeyIndex: Sendable, Equatable {
  /// Changes whenever the mapping changes, so listings built from one snapshot can be cached.
  public var generation: UInt64
  /// Host key fingerprint → user key fingerprints known to open it.
  public var keysByHost: [String: Set<String>]
  /// Every user key fingerprint that opens some known host.
  public var keysWithKnownHost: Set<String>

  /// Builds the index of `keysByHost`.
  public init(generation: UInt64, keysByHost: [String: Set<String>]) {
    self.generation = generation
    self.keysByHost = keysByHost
    self.keysWithKnownHost = keysByHost.values.reduce(into: Set<String>()) { $0.formUnion($1) }
  }

  /// No knowledge at all.
  public static let empty = HostKeyIndex(generation: 0, keysByHost: [:])
}

/// That a key opened a server: learned from a user-authentication signature on a bound connection.
public struct HostUse: Sendable, Equatable {
  /// The bound host key's fingerprint (the last hop's on a forwarded connection).
  public var hostKey: String
  /// The bound host key blob (RFC 4253 §6.6), for the record's `known_hosts`-style line.
  public var hostKeyBlob: [UInt8]
  /// The fingerprint of the key that signed.
  public var key: String
  /// The key's comment as listed (the vault name for vault keys).
  public var keyComment: String
  /// The user name in the signed request (RFC 4252 §7).
  public var user: String
  /// When, in seconds since the Unix epoch (the agent's injected wall clock).
  public var wallTime: UInt64

  /// Creates a use record.
  public init(hostKey: String, hostKeyBlob: [UInt8], key: String, keyComment: String, user: String, wallTime: UInt64) {
    self.hostKey = hostKey
    self.hostKeyBlob = hostKeyBlob
    self.key = key
    self.keyComment = keyComment
    self.user = user
    self.wallTime = wallTime
  }
}
