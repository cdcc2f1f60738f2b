/// Reconciles local keys with cloud listings: values in, report out; no clock, no I/O.
public enum Reconciler {
  /// Settings of a reconciliation.
  public struct Options: Sendable, Equatable {
    /// The current time (Unix seconds), for the pending window.
    public var now: Int64
    /// How long after creation a missing key pair counts as pending rather than orphaned, in seconds.
    public var pendingGrace: Int64
    /// The accounts (scopes with an empty region) whose every region was asked for. A binding whose region is
    /// unknown is called orphaned only when its account was swept whole and no region of it failed.
    public var sweptAccounts: Set<CloudScope>

    /// Creates options; the default grace is five minutes.
    public init(now: Int64, pendingGrace: Int64 = 300, sweptAccounts: Set<CloudScope> = []) {
      self.now = now
      self.pendingGrace = pendingGrace
      self.sweptAccounts = sweptAccounts
    }
  }

  /// Normalises a fingerprint for comparison: trimmed, without an `MD5:`/`SHA1:`/`SHA256:` prefix; colon-hex forms
  /// lowercased (base64 forms are case-sensitive). Works on UTF-8 bytes: it runs once per listed key pair.
  public static func normalize(_ fingerprint: String) -> String {
    var bytes = Array(fingerprint.utf8)
    func ws(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }
    var start = 0
    var end = bytes.count
    while start < end && ws(bytes[start]) { start += 1 }
    while end > start && ws(bytes[end - 1]) { end -= 1 }
    for prefix in ["MD5:", "SHA1:", "SHA256:"] {
      let p = Array(prefix.utf8)
      if end - start >= p.count && Array(bytes[start..<start + p.count]) == p {
        start += p.count
        break
      }
    }
    var isHex = true
    for i in start..<end {
      let b = bytes[i]
      let hex = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) || b == 0x3a
      if !hex {
        isHex = false
        break
      }
    }
    if isHex {
      for i in start..<end where bytes[i] >= 0x41 && bytes[i] <= 0x46 { bytes[i] += 0x20 }
    }
    if start == 0 && end == bytes.count && !isHex { return fingerprint }
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }

  /// How a normalised fingerprint is written and how many digest bytes it stands for. Two fingerprints of
  /// different shapes come from different formulas, so a mismatch between them says nothing about the key.
  public struct Shape: Hashable, Sendable {
    /// Base64 (SHA-256 of the SSH blob, as AWS shows ed25519 keys) rather than hex.
    public var base64: Bool
    /// The digest length in bytes.
    public var bytes: Int

    /// Creates a shape.
    public init(base64: Bool, bytes: Int) {
      self.base64 = base64
      self.bytes = bytes
    }
  }

  /// The shape of a normalised fingerprint, or nil when it is neither hex nor base64.
  public static func shape(of normalized: String) -> Shape? {
    let u = Array(normalized.utf8)
    guard !u.isEmpty else { return nil }
    func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) }
    if u.contains(0x3a) {
      let groups = u.split(separator: 0x3a, omittingEmptySubsequences: false)
      guard groups.allSatisfy({ $0.count == 2 && $0.allSatisfy(isHex) }) else { return nil }
      return Shape(base64: false, bytes: groups.count)
    }
    if u.count % 2 == 0 && u.allSatisfy(isHex) { return Shape(base64: false, bytes: u.count / 2) }
    func isB64(_ b: UInt8) -> Bool {
      (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b == 0x2b || b == 0x2f
    }
    var digits = u[...]
    while digits.last == 0x3d { digits.removeLast() }
    guard u.count - digits.count <= 2, !digits.isEmpty, digits.allSatisfy(isB64) else { return nil }
    return Shape(base64: true, bytes: digits.count * 6 / 8)
  }

  /// Compares local keys and cloud listings and classifies every binding and every listed key pair.
  ///
  /// For each binding of each local key in a listed scope: a failed listing gives `error`; a listed name gives
  /// `in-sync` / `id-changed` when a fingerprint formula matches, `replaced` when a formula of the same shape
  /// differs, `unverifiable` when the key has no formula of the cloud's shape; a missing name gives `pending` inside
  /// the grace window (unless an earlier sync saw it), `moved` when the key's fingerprint is listed under a name it
  /// is not bound to, else `orphaned`.
  ///
  /// A binding whose scope is incomplete (unknown region, account or endpoint) is looked for by name and
  /// fingerprint in every listed scope its known parts admit; found, it is reported where it was found (with
  /// ``AuditEntry/boundAs``). Not found, it is orphaned only when its endpoint and account are known and that account
  /// was swept whole (``Options/sweptAccounts``) with no region failing (else `error`); otherwise it is
  /// `unverifiable`, since the key pair may live where this sync did not look.
  ///
  /// Every listed key pair no binding covers is matched by fingerprint: a match is `in-sync` and `discovered` (a
  /// binding to record), no match is `cloud-only`. Bindings to scopes that were not listed produce nothing.
  public static func reconcile(_ keys: [LocalKey], _ listings: [CloudListing], options: Options) -> AuditReport {
    // Fingerprint index over every formula of every local key.
    var byFingerprint: [String: (key: Int, kind: String)] = [:]
    // Each key's formulas, normalised once, in kind order so the reported kind is deterministic.
    let formulas: [[(kind: String, value: String)]] = keys.map { key in
      key.fingerprints.sorted(by: { $0.key < $1.key }).filter { !$0.value.isEmpty }.map {
        ($0.key, normalize($0.value))
      }
    }
    let shapes: [Set<Shape>] = formulas.map { Set($0.compactMap { shape(of: $0.value) }) }
    for (i, list) in formulas.enumerated() {
      for (kind, n) in list where byFingerprint[n] == nil { byFingerprint[n] = (i, kind) }
    }
    var listed: [CloudScope: [String: ListedKeyPair]] = [:]
    var failures: [CloudScope: ListingFailure] = [:]
    var counts: [CloudScope: [String: Int]] = [:]
    for l in listings {
      counts[l.scope] = l.instanceCounts
      switch l.result {
      case .success(let pairs):
        var names: [String: ListedKeyPair] = [:]
        names.reserveCapacity(pairs.count)
        for p in pairs { names[p.keyName] = p }
        listed[l.scope] = names
      case .failure(let f): failures[l.scope] = f
      }
    }
    let listedScopes = listed.keys.sorted()

    func matchedKind(_ i: Int, _ pair: ListedKeyPair) -> String? {
      let cloud = normalize(pair.keyFingerprint)
      return cloud.isEmpty ? nil : formulas[i].first(where: { $0.value == cloud })?.kind
    }

    var bound: [CloudScope: [String: Int]] = [:]  // (scope, name) -> local key index
    // Incomplete bindings found by name and fingerprint: (key, binding) -> the scope they were found in.
    var resolved: [Int: [KeyBinding: CloudScope]] = [:]
    for (i, key) in keys.enumerated() {
      for b in key.bindings {
        if b.scope.isComplete {
          if bound[b.scope]?[b.keyName] == nil { bound[b.scope, default: [:]][b.keyName] = i }
          continue
        }
        for scope in listedScopes where b.scope.admits(scope) {
          if let pair = listed[scope]?[b.keyName], matchedKind(i, pair) != nil, bound[scope]?[b.keyName] == nil {
            resolved[i, default: [:]][b] = scope
            bound[scope, default: [:]][b.keyName] = i
            break
          }
        }
      }
    }

    var entries: [AuditEntry] = []
    // Fingerprint matches of listed key pairs no binding covers: key index -> places.
    var unboundMatches: [Int: [(CloudScope, ListedKeyPair, String)]] = [:]
    for (scope, names) in listed {
      for pair in names.values where bound[scope]?[pair.keyName] == nil {
        if let m = byFingerprint[normalize(pair.keyFingerprint)], !pair.keyFingerprint.isEmpty {
          unboundMatches[m.key, default: []].append((scope, pair, m.kind))
          let key = keys[m.key]
          entries.append(
            AuditEntry(
              state: key.hasPrivateKey ? .inSync : .cloudOnly, scope: scope, keyName: pair.keyName,
              localKey: key.name, matchedKind: m.kind, cloudFingerprint: pair.keyFingerprint,
              keyPairId: pair.keyPairId, discovered: true))
        } else {
          entries.append(
            AuditEntry(
              state: .cloudOnly, scope: scope, keyName: pair.keyName, cloudFingerprint: pair.keyFingerprint,
              keyPairId: pair.keyPairId))
        }
      }
    }

    for (i, key) in keys.enumerated() {
      var seen = Set<KeyBinding>()
      for b in key.bindings where seen.insert(b).inserted {
        let original = KeyPairLocation(scope: b.scope, keyName: b.keyName)
        let place = b.scope.isComplete ? b.scope : resolved[i]?[b]
        if let scope = place, let f = failures[scope] {
          entries.append(
            AuditEntry(
              state: .error, scope: scope, keyName: b.keyName, localKey: key.name, recordedKeyPairId: b.keyPairId,
              failure: f))
          continue
        }
        let boundAs = b.scope.isComplete ? nil : original
        if let scope = place, let pair = listed[scope]?[b.keyName] {
          var e = AuditEntry(
            state: .inSync, scope: scope, keyName: b.keyName, localKey: key.name,
            cloudFingerprint: pair.keyFingerprint, keyPairId: pair.keyPairId, recordedKeyPairId: b.keyPairId,
            boundAs: boundAs)
          let cloud = normalize(pair.keyFingerprint)
          if formulas[i].isEmpty || cloud.isEmpty {
            e.state = .unverifiable
            e.note = formulas[i].isEmpty ? "no fingerprint formula for this key" : "the cloud shows no fingerprint"
          } else if let kind = matchedKind(i, pair) {
            e.matchedKind = kind
            if let old = b.keyPairId, let new = pair.keyPairId, old != new { e.state = .idChanged }
          } else if let s = shape(of: cloud), shapes[i].contains(s) {
            e.state = .replaced
            e.instancesInUse = counts[scope]?[b.keyName]
          } else {
            e.state = .unverifiable
            e.note = "the cloud's fingerprint is of a kind no formula of this key gives"
          }
          entries.append(e)
          continue
        }
        // Not listed under its name where it should be.
        let candidates = listedScopes.filter { b.scope.admits($0) }
        if let scope = place, listed[scope] == nil { continue }  // its scope was not listed this time
        if place == nil && candidates.isEmpty && !failures.keys.contains(where: { b.scope.admits($0) }) {
          continue  // nothing this sync listed concerns the binding
        }
        let searched = place ?? Self.searchedScope(b.scope, candidates)
        var e = AuditEntry(
          state: .orphaned, scope: searched, keyName: b.keyName, localKey: key.name, recordedKeyPairId: b.keyPairId,
          boundAs: boundAs)
        // A binding with an unknown region has every region of its account as its scope: one that failed leaves
        // it unchecked. A complete binding was checked in its own scope, which is what orphaned needs.
        let failedHere = place == nil ? failures.keys.filter { b.scope.admits($0) } : []
        if !b.seenBefore, let created = b.createdAt, options.now - created < options.pendingGrace,
          options.now >= created
        {
          e.state = .pending
        } else if let m = unboundMatches[i]?.sorted(by: { ($0.0, $0.1.keyName) < ($1.0, $1.1.keyName) }).first {
          e.state = .moved
          e.movedTo = KeyPairLocation(scope: m.0, keyName: m.1.keyName)
          e.matchedKind = m.2
          e.cloudFingerprint = m.1.keyFingerprint
        } else if let failed = failedHere.sorted().first {
          // Orphaned needs evidence: a region that could not be listed may hold the key pair.
          e.state = .error
          e.failure = ListingFailure(
            kind: "incomplete",
            message: "its region is unknown, and \(failed.region) could not be listed to look for it there")
        } else if place == nil
          && (b.scope.endpoint.isEmpty || b.scope.account.isEmpty
            || !options.sweptAccounts.contains(b.scope.accountScope))
        {
          e.state = .unverifiable
          e.note =
            b.scope.endpoint.isEmpty || b.scope.account.isEmpty
            ? "not found by fingerprint here; the vault does not know which cloud account holds it"
            : "not found by fingerprint in the regions listed; list every region (--all-regions)"
        } else {
          e.instancesInUse = counts[searched]?[b.keyName]
        }
        entries.append(e)
      }
    }
    // Sort indices by precomputed keys, then permute once: entries are large, and copying two of them for every
    // comparison dominated the time.
    let scopeRank = Dictionary(
      uniqueKeysWithValues: Set(entries.map(\.scope)).sorted().enumerated().map { ($0.element, $0.offset) })
    let ranks = entries.map { scopeRank[$0.scope] ?? 0 }
    let names = entries.map(\.keyName)
    let locals = entries.map { $0.localKey ?? "" }
    let states = entries.map(\.state)
    let order = entries.indices.sorted { i, j in
      if ranks[i] != ranks[j] { return ranks[i] < ranks[j] }
      if names[i] != names[j] { return names[i] < names[j] }
      if locals[i] != locals[j] { return locals[i] < locals[j] }
      return states[i] < states[j]
    }
    entries = order.map { entries[$0] }
    return AuditReport(entries: entries, failures: failures, generatedAt: options.now)
  }

  /// Where an incomplete binding that was not found was looked for: its known parts, completed by the listed scopes
  /// when they agree on them (one account swept: that account, region left unknown).
  static func searchedScope(_ partial: CloudScope, _ candidates: [CloudScope]) -> CloudScope {
    var s = partial
    let endpoints = Set(candidates.map(\.endpoint))
    let accounts = Set(candidates.map(\.account))
    let regions = Set(candidates.map(\.region))
    if s.endpoint.isEmpty, endpoints.count == 1 { s.endpoint = endpoints.first! }
    if s.account.isEmpty, accounts.count == 1, !s.endpoint.isEmpty { s.account = accounts.first! }
    if s.region.isEmpty, regions.count == 1, !s.account.isEmpty { s.region = regions.first! }
    return s
  }
}
