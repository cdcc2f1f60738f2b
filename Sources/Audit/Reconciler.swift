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

  /// Normalises a fingerprint for comparison: trimmed; colon-hex forms lowercased (base64 forms are case-sensitive).
  public static func normalize(_ fingerprint: String) -> String {
    var s = Substring(fingerprint)
    while s.first?.isWhitespace == true { s.removeFirst() }
    while s.last?.isWhitespace == true { s.removeLast() }
    for prefix in ["MD5:", "SHA1:", "SHA256:"] where s.hasPrefix(prefix) {
      s = s.dropFirst(prefix.count)
    }
    let isHex = s.allSatisfy { $0.isHexDigit || $0 == ":" }
    return isHex ? s.lowercased() : String(s)
  }

  /// Compares local keys and cloud listings and classifies every binding and every listed key pair.
  ///
  /// For each binding of each local key in a listed scope: a failed listing gives `error`; a listed name gives
  /// `in-sync` / `id-changed` when a fingerprint formula matches, `replaced` when none does, `unverifiable` when
  /// nothing can be compared; a missing name gives `pending` inside the grace window, `moved` when the key's
  /// fingerprint is listed under a name it is not bound to, else `orphaned`. Every listed key pair no binding covers
  /// is matched by fingerprint: a match is `in-sync` and `discovered` (a binding to record), no match is `cloud-only`.
  /// Bindings to scopes that were not listed produce nothing.
  public static func reconcile(_ keys: [LocalKey], _ listings: [CloudListing], options: Options) -> AuditReport {
    // Fingerprint index over every formula of every local key.
    var byFingerprint: [String: (key: Int, kind: String)] = [:]
    for (i, key) in keys.enumerated() {
      for (kind, value) in key.fingerprints.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
        let n = normalize(value)
        if byFingerprint[n] == nil { byFingerprint[n] = (i, kind) }
      }
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
          if key.fingerprints.values.allSatisfy(\.isEmpty) || pair.keyFingerprint.isEmpty {
            e.state = .unverifiable
          } else if let kind = matchKind(key, pair.keyFingerprint) {
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
        if let created = b.createdAt, options.now - created < options.pendingGrace, options.now >= created {
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
    entries.sort {
      ($0.scope, $0.keyName, $0.localKey ?? "", $0.state) < ($1.scope, $1.keyName, $1.localKey ?? "", $1.state)
    }
    return AuditReport(entries: entries, failures: failures, generatedAt: options.now)
  }

  /// The kind of the first fingerprint formula of `key` equal to `fingerprint`, if any.
  static func matchKind(_ key: LocalKey, _ fingerprint: String) -> String? {
    let n = normalize(fingerprint)
    return key.fingerprints.sorted(by: { $0.key < $1.key }).first { !$0.value.isEmpty && normalize($0.value) == n }?
      .key
  }
}
