/// One line of the signature log (keyhold-log(1), FORMAT): a sign request the agent answered, or a note that
/// records were lost while the log could not be written.
///
/// Field names are stable: readers (`keyhold log --json`, scripts) rely on them, and new fields are only added.
/// Absent values are `null`. The record holds no signed data and no secret: names, fingerprints, process facts.
public struct SignatureRecord: Codable, Sendable, Equatable {
  /// One ancestor of the signing process (`ppid` chain from /proc, nearest first).
  public struct Process: Codable, Sendable, Equatable {
    /// The process id.
    public var pid: Int32
    /// `/proc/PID/comm`; nil when it could not be read.
    public var process: String?
    /// The target of `/proc/PID/exe`; nil when it could not be read.
    public var exe: String?

    /// Creates an ancestor entry.
    public init(pid: Int32, process: String?, exe: String?) {
      self.pid = pid
      self.process = process
      self.exe = exe
    }
  }

  /// The record kinds.
  public enum Event: String, Codable, Sendable {
    /// A sign request the agent answered.
    case sign
    /// Records that could not be written (full disk, unwritable file, full queue); ``lost`` counts them.
    case lost
  }

  /// Format version of the line; 1.
  public var version: Int = 1
  /// When, RFC 3339 UTC with milliseconds (`2026-12-02T04:41:18.123Z`).
  public var time: String
  /// What the line records.
  public var event: Event
  /// The key's name: the vault name, or the comment ssh-add gave; nil when the agent did not hold the key.
  public var key: String?
  /// The key's OpenSSH fingerprint (`SHA256:…`).
  public var fingerprint: String?
  /// Where the key came from: `vault`, `ssh-add` or `pkcs11`; nil when the agent did not hold it.
  public var source: String?
  /// `signed` or `refused` (sign records).
  public var outcome: String?
  /// Why the request was refused, or why records were lost.
  public var reason: String?
  /// The peer's user id (SO_PEERCRED).
  public var uid: UInt32?
  /// The peer's process id (SO_PEERCRED).
  public var pid: Int32?
  /// The peer's process name, read when it connected.
  public var process: String?
  /// The peer's executable, read when it connected.
  public var exe: String?
  /// The peer's parent processes, nearest first, at most four.
  public var parents: [Process]
  /// The fingerprint of the host key of the connection's last session binding; nil on an unbound connection.
  public var hostKey: String?
  /// The host or instance that host key belongs to, where keyhold knows it.
  public var host: String?
  /// Session bindings on the connection: 0 local, 1 direct, more when forwarded.
  public var hops: Int
  /// The user name of a user-authentication request.
  public var user: String?
  /// `ssh-userauth`, `sshsig:NAMESPACE` or `other`.
  public var purpose: String?
  /// How many records were lost (`lost` records).
  public var lost: Int?

  /// Creates a record.
  public init(
    time: String, event: Event = .sign, key: String? = nil, fingerprint: String? = nil, source: String? = nil,
    outcome: String? = nil, reason: String? = nil, uid: UInt32? = nil, pid: Int32? = nil, process: String? = nil,
    exe: String? = nil, parents: [Process] = [], hostKey: String? = nil, host: String? = nil, hops: Int = 0,
    user: String? = nil, purpose: String? = nil, lost: Int? = nil
  ) {
    self.time = time
    self.event = event
    self.key = key
    self.fingerprint = fingerprint
    self.source = source
    self.outcome = outcome
    self.reason = reason
    self.uid = uid
    self.pid = pid
    self.process = process
    self.exe = exe
    self.parents = parents
    self.hostKey = hostKey
    self.host = host
    self.hops = hops
    self.user = user
    self.purpose = purpose
    self.lost = lost
  }

  enum CodingKeys: String, CodingKey {
    case version = "v"
    case time, event, key, fingerprint, source, outcome, reason, uid, pid, process, exe, parents
    case hostKey = "host_key"
    case host, hops, user, purpose, lost
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
    time = try c.decode(String.self, forKey: .time)
    event = try c.decode(Event.self, forKey: .event)
    key = try c.decodeIfPresent(String.self, forKey: .key)
    fingerprint = try c.decodeIfPresent(String.self, forKey: .fingerprint)
    source = try c.decodeIfPresent(String.self, forKey: .source)
    outcome = try c.decodeIfPresent(String.self, forKey: .outcome)
    reason = try c.decodeIfPresent(String.self, forKey: .reason)
    uid = try c.decodeIfPresent(UInt32.self, forKey: .uid)
    pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
    process = try c.decodeIfPresent(String.self, forKey: .process)
    exe = try c.decodeIfPresent(String.self, forKey: .exe)
    parents = try c.decodeIfPresent([Process].self, forKey: .parents) ?? []
    hostKey = try c.decodeIfPresent(String.self, forKey: .hostKey)
    host = try c.decodeIfPresent(String.self, forKey: .host)
    hops = try c.decodeIfPresent(Int.self, forKey: .hops) ?? 0
    user = try c.decodeIfPresent(String.self, forKey: .user)
    purpose = try c.decodeIfPresent(String.self, forKey: .purpose)
    lost = try c.decodeIfPresent(Int.self, forKey: .lost)
  }

  /// Seconds since the Unix epoch of ``time``; nil when it is not RFC 3339 UTC as the agent writes it.
  public var epochSeconds: Double? { SignatureLogTime.parse(time) }
}
