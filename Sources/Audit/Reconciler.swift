/// Reconciles local keys with cloud listings: values in, report out; no clock, no I/O.
public enum Reconciler {
  /// Settings of a reconciliation.
  public struct Options: Sendable, Equatable {
    /// The current time (Unix seconds), for the pending window.
    public var now: Int64
    /// How long after creation a missing key pair counts as pending rather than orphaned, in seconds.
    public var pendingGrace: Int64

    /// Creates options; the default grace is five minutes.
    public init(now: Int64, pendingGrace: Int64 = 300) {
      self.now = now
      self.pendingGrace = pendingGrace
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

  /// Compares local keys and cloud listings and classifies every binding and every listed key pair.
  ///
  /// For each binding of each local key in a listed scope: a failed listing gives `error`; a listed name gives
  /// `in-sync` / `id-changed` when a fingerprint formula matches, `replaced` when none does, `unverifiable` when
  /// nothing can be compared; a missing name gives `pending` inside the grace window (unless an earlier sync saw it), `moved` when the key's
  /// fingerprint is listed under a name it is not bound to, else `orphaned`. Every listed key pair no binding covers
  /// is matched by fingerprint: a match is `in-sync` and `discovered` (a binding to record), no match is `cloud-only`.
  /// Bindings to scopes that were not listed produce nothing.
  public static func reconcile(_ keys: [LocalKey], _ listings: [CloudListing], options: Options) -> AuditReport {
    // Fingerprint index over every formula of every local key.
    var byFingerprint: [String: (key: Int, kind: String)] = [:]
    // Each key's formulas, normalised once, in kind order so the reported kind is deterministic.
    let formulas: [[(kind: String, value: String)]] = keys.map { key in
      key.fingerprints.sorted(by: { $0.key < $1.key }).filter { !$0.value.isEmpty }.map {
        ($0.key, normalize($0.value))
      }
    }
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
    var bound: [CloudScope: [String: Int]] = [:]  // (scope, name) -> local key index
    for (i, key) in keys.enumerated() {
      for b in key.bindings where bound[b.scope]?[b.keyName] == nil { bound[b.scope, default: [:]][b.keyName] = i }
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
        if let f = failures[b.scope] {
          entries.append(
            AuditEntry(
              state: .error, scope: b.scope, keyName: b.keyName, localKey: key.name, recordedKeyPairId: b.keyPairId,
              failure: f))
          continue
        }
        guard let names = listed[b.scope] else { continue }
        if let pair = names[b.keyName] {
          var e = AuditEntry(
            state: .inSync, scope: b.scope, keyName: b.keyName, localKey: key.name,
            cloudFingerprint: pair.keyFingerprint, keyPairId: pair.keyPairId, recordedKeyPairId: b.keyPairId)
          let cloud = normalize(pair.keyFingerprint)
          if formulas[i].isEmpty || cloud.isEmpty {
            e.state = .unverifiable
          } else if let kind = formulas[i].first(where: { $0.value == cloud })?.kind {
            e.matchedKind = kind
            if let old = b.keyPairId, let new = pair.keyPairId, old != new { e.state = .idChanged }
          } else {
            e.state = .replaced
            e.instancesInUse = counts[b.scope]?[b.keyName]
          }
          entries.append(e)
          continue
        }
        var e = AuditEntry(
          state: .orphaned, scope: b.scope, keyName: b.keyName, localKey: key.name, recordedKeyPairId: b.keyPairId)
        if !b.seenBefore, let created = b.createdAt, options.now - created < options.pendingGrace,
          options.now >= created
        {
          e.state = .pending
        } else if let place = unboundMatches[i]?.sorted(by: { ($0.0, $0.1.keyName) < ($1.0, $1.1.keyName) }).first {
          e.state = .moved
          e.movedTo = KeyPairLocation(scope: place.0, keyName: place.1.keyName)
          e.matchedKind = place.2
          e.cloudFingerprint = place.1.keyFingerprint
        } else {
          e.instancesInUse = counts[b.scope]?[b.keyName]
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
}
