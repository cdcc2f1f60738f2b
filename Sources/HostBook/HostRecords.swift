/// One learned fact: a key opened the server whose host key is ``hostKey``. Written by the agent after a
/// user-authentication signature on a bound connection (keyhold-hosts(5)).
public struct LearnedHost: Codable, Sendable, Equatable {
  /// The server's host key fingerprint (`SHA256:`, as `ssh-keygen -l` prints it).
  public var hostKey: String
  /// The host key as a `known_hosts` key field (`ssh-ed25519 AAAA...`), when known.
  public var hostKeyLine: String?
  /// The fingerprint of the key that signed.
  public var key: String
  /// The key's name when it was used (the vault name, else the ssh-add comment).
  public var keyName: String?
  /// The user name in the signed request.
  public var user: String
  /// First and last use, RFC 3339 UTC.
  public var firstUse: String
  /// The last use, RFC 3339 UTC.
  public var lastUse: String
  /// How many signatures were recorded for this host, key and user.
  public var uses: Int

  /// Creates a record.
  public init(
    hostKey: String, hostKeyLine: String? = nil, key: String, keyName: String? = nil, user: String,
    firstUse: String, lastUse: String, uses: Int = 1
  ) {
    self.hostKey = hostKey
    self.hostKeyLine = hostKeyLine
    self.key = key
    self.keyName = keyName
    self.user = user
    self.firstUse = firstUse
    self.lastUse = lastUse
    self.uses = uses
  }

  /// Records are merged per host key, key and user.
  public var identity: String { hostKey + " " + key + " " + user }
}

/// One instance as the last sync saw it (DescribeInstances), with the host keys its console printed
/// (GetConsoleOutput) and the vault key its key pair maps to. Written by `keyhold sync` (keyhold-hosts(5)).
public struct CloudInstance: Codable, Sendable, Equatable {
  /// The endpoint the instance was listed at (AWS partition or canonical URL, as bindings name it).
  public var endpoint: String
  /// The account id, when known.
  public var account: String?
  /// The region.
  public var region: String
  /// The instance id (`i-...`).
  public var id: String
  /// The `Name` tag.
  public var name: String?
  /// The instance state name (`pending`, `running`, `stopped`, ...).
  public var state: String
  /// Addresses and DNS names; nil when the cloud gave none.
  public var publicIP: String?
  /// The private address.
  public var privateIP: String?
  /// The public DNS name.
  public var publicDNS: String?
  /// The private DNS name.
  public var privateDNS: String?
  /// The key pair the instance was launched with.
  public var keyName: String?
  /// The launch time as the cloud gave it (ISO 8601).
  public var launchTime: String?
  /// The vault key the key pair maps to (by binding or fingerprint), when there is one.
  public var vaultKey: String?
  /// That vault key's OpenSSH fingerprint (`SHA256:` of the public key blob).
  public var keyFingerprint: String?
  /// Host keys from the console's `-----BEGIN SSH HOST KEY KEYS-----` block, as `known_hosts` key fields.
  public var hostKeys: [String]
  /// When the host keys were read, RFC 3339 UTC; nil when none were.
  public var hostKeysAt: String?

  /// Creates a record.
  public init(
    endpoint: String, account: String?, region: String, id: String, name: String? = nil, state: String,
    publicIP: String? = nil, privateIP: String? = nil, publicDNS: String? = nil, privateDNS: String? = nil,
    keyName: String? = nil, launchTime: String? = nil, vaultKey: String? = nil, keyFingerprint: String? = nil,
    hostKeys: [String] = [], hostKeysAt: String? = nil
  ) {
    self.endpoint = endpoint
    self.account = account
    self.region = region
    self.id = id
    self.name = name
    self.state = state
    self.publicIP = publicIP
    self.privateIP = privateIP
    self.publicDNS = publicDNS
    self.privateDNS = privateDNS
    self.keyName = keyName
    self.launchTime = launchTime
    self.vaultKey = vaultKey
    self.keyFingerprint = keyFingerprint
    self.hostKeys = hostKeys
    self.hostKeysAt = hostKeysAt
  }

  /// The names ssh may be given for this instance: id, Name tag, DNS names and addresses, in that order.
  public var names: [String] {
    var out = [id]
    for n in [name, publicDNS, publicIP, privateDNS, privateIP] {
      if let n, !n.isEmpty, !out.contains(n) { out.append(n) }
    }
    return out
  }
}
