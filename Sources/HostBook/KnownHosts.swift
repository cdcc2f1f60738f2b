/// One server host key and everything the books know about it: what `keyhold hosts` shows as a row.
public struct KnownHost: Sendable, Equatable {
  /// The host key fingerprint (`SHA256:`).
  public var hostKey: String
  /// The host key's type (`ssh-ed25519`), when a record or a console line gave the key itself.
  public var hostKeyType: String?
  /// The stored instances whose console printed this host key.
  public var instances: [CloudInstance]
  /// The keys known to open it.
  public var keys: [Key]

  /// One key known to open the host.
  public struct Key: Sendable, Equatable {
    /// The key's fingerprint (`SHA256:`).
    public var fingerprint: String
    /// The vault name (else the name the key had when it was used); nil when none is known.
    public var name: String?
    /// The user names it logged in as, sorted.
    public var users: [String]
    /// The last use, RFC 3339 UTC; nil for a key known only from the cloud.
    public var lastUse: String?
    /// How many signatures were recorded.
    public var uses: Int
    /// Whether a login taught it (the learned file).
    public var learned: Bool
    /// Whether an instance launched with its key pair printed the host key (the instances file).
    public var cloud: Bool
  }

  /// The names ssh may be given for this host, from its instances (ids, Name tags, DNS names, addresses).
  public var names: [String] {
    var out: [String] = []
    for i in instances { for n in i.names where !out.contains(n) { out.append(n) } }
    return out
  }

  /// Whether any key of the host was learned from a login.
  public var learned: Bool { keys.contains(where: \.learned) }
  /// Whether the cloud told of the host (an instance printed its host key).
  public var cloud: Bool { !instances.isEmpty }

  /// `learned`, `cloud` or `both` (keyhold-hosts(1)).
  public var source: String { learned ? (cloud ? "both" : "learned") : "cloud" }
}

/// What `keyhold hosts forget` removes: records and console host keys selected by host key, by instance, by
/// user key, or all of them.
public struct HostSelection: Sendable, Equatable {
  /// Host key fingerprints whose learned records go and whose console lines are dropped from every instance.
  public var hostKeys: Set<String>
  /// User key fingerprints whose learned records go and whose instances lose every console host key.
  public var keys: Set<String>
  /// Vault key names (as the instances file names them) whose instances lose every console host key.
  public var keyNames: Set<String>
  /// Everything.
  public var all: Bool

  /// A selection.
  public init(hostKeys: Set<String> = [], keys: Set<String> = [], keyNames: Set<String> = [], all: Bool = false) {
    self.hostKeys = hostKeys
    self.keys = keys
    self.keyNames = keyNames
    self.all = all
  }

  /// Whether `record` is selected.
  public func selects(_ record: LearnedHost) -> Bool {
    all || hostKeys.contains(record.hostKey) || keys.contains(record.key)
  }

  /// Whether every console host key of `instance` is selected (by its key).
  public func selectsAllHostKeys(of instance: CloudInstance) -> Bool {
    all || instance.keyFingerprint.map(keys.contains) == true || instance.vaultKey.map(keyNames.contains) == true
  }
}

/// What a forget removed.
public struct ForgetOutcome: Sendable, Equatable {
  /// Learned records removed.
  public var learnedRemoved: Int
  /// Per instance, how many console host keys were dropped from the instances file.
  public var droppedHostKeys: [Dropped]

  /// Console host keys dropped from one instance.
  public struct Dropped: Sendable, Equatable {
    /// The instance id.
    public var instance: String
    /// How many host keys went.
    public var count: Int

    /// A count of dropped host keys.
    public init(instance: String, count: Int) {
      self.instance = instance
      self.count = count
    }
  }

  /// An outcome.
  public init(learnedRemoved: Int, droppedHostKeys: [Dropped]) {
    self.learnedRemoved = learnedRemoved
    self.droppedHostKeys = droppedHostKeys
  }

  /// Whether nothing was selected.
  public var isEmpty: Bool { learnedRemoved == 0 && droppedHostKeys.isEmpty }
}

extension HostBook {
  /// Every host key the books know, one ``KnownHost`` each, ordered by their first name (hosts no instance names
  /// last) and then by fingerprint. `keyNames` maps key fingerprints to vault names, which win over the names
  /// the records carry.
  public static func known(learned: [LearnedHost], instances: [CloudInstance], keyNames: [String: String] = [:])
    -> [KnownHost]
  {
    var hosts: [String: KnownHost] = [:]
    func host(_ fp: String) -> KnownHost {
      hosts[fp] ?? KnownHost(hostKey: fp, hostKeyType: nil, instances: [], keys: [])
    }
    for r in learned {
      var h = host(r.hostKey)
      if h.hostKeyType == nil { h.hostKeyType = r.hostKeyLine.flatMap(keyType) }
      let name = keyNames[r.key] ?? r.keyName
      if let i = h.keys.firstIndex(where: { $0.fingerprint == r.key }) {
        var k = h.keys[i]
        if !k.users.contains(r.user) { k.users = (k.users + [r.user]).sorted() }
        k.lastUse = max(k.lastUse ?? r.lastUse, r.lastUse)
        k.uses += r.uses
        k.learned = true
        k.name = k.name ?? name
        h.keys[i] = k
      } else {
        h.keys.append(
          .init(
            fingerprint: r.key, name: name, users: [r.user], lastUse: r.lastUse, uses: r.uses, learned: true,
            cloud: false))
      }
      hosts[r.hostKey] = h
    }
    for instance in instances {
      for line in instance.hostKeys {
        guard let fp = fingerprint(ofKeyLine: line) else { continue }
        var h = host(fp)
        if h.hostKeyType == nil { h.hostKeyType = keyType(line) }
        if !h.instances.contains(instance) { h.instances.append(instance) }
        if let key = instance.keyFingerprint {
          let name = keyNames[key] ?? instance.vaultKey
          if let i = h.keys.firstIndex(where: { $0.fingerprint == key }) {
            h.keys[i].cloud = true
            // A vault name (the vault's, else the one the last sync mapped the key pair to) wins over the name
            // the key had when it was used.
            h.keys[i].name = name ?? h.keys[i].name
          } else {
            h.keys.append(
              .init(fingerprint: key, name: name, users: [], lastUse: nil, uses: 0, learned: false, cloud: true))
          }
        }
        hosts[fp] = h
      }
    }
    return hosts.values.map { h in
      var h = h
      h.keys.sort { ($0.name ?? $0.fingerprint, $0.fingerprint) < ($1.name ?? $1.fingerprint, $1.fingerprint) }
      return h
    }.sorted { a, b in
      let (na, nb) = (a.names.first, b.names.first)
      if na != nb {
        guard let na else { return false }
        guard let nb else { return true }
        return na < nb
      }
      return a.hostKey < b.hostKey
    }
  }

  /// The host keys `selector` names: a host key fingerprint the books know (with or without `SHA256:`), or the
  /// id, Name tag, DNS name or address of a stored instance (its console host keys).
  public static func hostKeys(matching selector: String, learned: [LearnedHost], instances: [CloudInstance])
    -> Set<String>
  {
    var out = Set<String>()
    let fp = selector.hasPrefix("SHA256:") ? selector : "SHA256:" + selector
    if learned.contains(where: { $0.hostKey == fp }) { out.insert(fp) }
    for i in instances {
      let keys = i.hostKeys.compactMap(fingerprint(ofKeyLine:))
      if keys.contains(fp) { out.insert(fp) }
      if i.names.contains(selector) { out.formUnion(keys) }
    }
    return out
  }

  /// Removes from `learned` and `instances` what `selection` selects; returns what went.
  public static func apply(_ selection: HostSelection, learned: inout [LearnedHost], instances: inout [CloudInstance])
    -> ForgetOutcome
  {
    let before = learned.count
    learned.removeAll(where: selection.selects)
    var dropped: [ForgetOutcome.Dropped] = []
    for i in instances.indices {
      let keep =
        selection.selectsAllHostKeys(of: instances[i])
        ? [] : instances[i].hostKeys.filter { fingerprint(ofKeyLine: $0).map(selection.hostKeys.contains) != true }
      let count = instances[i].hostKeys.count - keep.count
      guard count > 0 else { continue }
      instances[i].hostKeys = keep
      if keep.isEmpty { instances[i].hostKeysAt = nil }
      dropped.append(.init(instance: instances[i].id, count: count))
    }
    return ForgetOutcome(learnedRemoved: before - learned.count, droppedHostKeys: dropped)
  }

  /// What `selection` would remove now, without changing anything.
  public func preview(_ selection: HostSelection) throws(HostBookError) -> ForgetOutcome {
    var (l, i) = (try learned(), try instances())
    return Self.apply(selection, learned: &l, instances: &i)
  }

  /// Removes what `selection` selects from both files in one locked read-change-write, so a running agent's
  /// writes are neither lost nor undone; a file is written only when something in it went.
  public func forget(_ selection: HostSelection) throws(HostBookError) -> ForgetOutcome {
    try locked { () throws(HostBookError) -> ForgetOutcome in
      var l = try learned()
      var i = try instances()
      let outcome = Self.apply(selection, learned: &l, instances: &i)
      if outcome.learnedRemoved > 0 { try write(learnedPath, Self.encodeLearned(l)) }
      if !outcome.droppedHostKeys.isEmpty { try writeInstances(i) }
      return outcome
    }
  }

  /// The type field of a `known_hosts`-style key field.
  static func keyType(_ line: String) -> String? {
    line.split(separator: " ", maxSplits: 1).first.map(String.init)
  }
}
