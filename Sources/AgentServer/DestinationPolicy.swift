import SSHWire

/// Decides whether a destination-restricted key may be listed or used on a connection, from the connection's
/// session bindings (PROTOCOL.agent §1–2). Pure: no state of its own.
enum DestinationPolicy {
  /// Whether `identity` may be seen (user == nil) or used to sign for `user` on `connection`; host certificates
  /// are checked against `wallTime` (seconds since the Unix epoch).
  static func permitted(
    _ identity: KeyIdentity, on connection: AgentConnectionState, user: String?, wallTime: UInt64
  ) -> Bool {
    if identity.destinations.isEmpty { return true }
    if connection.bindAttempted && connection.bindings.isEmpty { return false }  // a failed bind taints the socket
    guard let last = connection.bindings.last else { return true }  // a local client, not through ssh
    var from: [UInt8]? = nil
    for (i, hop) in connection.bindings.enumerated() {
      var testUser: String? = nil
      if i == connection.bindings.count - 1 {
        testUser = user
        if hop.forwarded && user != nil { return false }  // signing on a forwarding hop
      } else if !hop.forwarded {
        return false  // forwarding through a connection bound for authentication
      }
      if !allowedBy(identity.destinations, from: from, to: hop.hostKey, user: testUser, wallTime: wallTime) {
        return false
      }
      from = hop.hostKey
    }
    // Past a forwarding hop, list only keys that may be used further on from that host.
    if last.forwarded && user == nil
      && !allowedBy(identity.destinations, from: last.hostKey, to: nil, user: nil, wallTime: wallTime)
    {
      return false
    }
    return true
  }

  /// Whether some rule allows the hop `from` → `to` (nil `from`: the agent's own host; nil `to`: any).
  static func allowedBy(
    _ rules: [DestinationConstraint], from: [UInt8]?, to: [UInt8]?, user: String?, wallTime: UInt64
  ) -> Bool {
    for rule in rules {
      if let from {
        if !matches(from, rule.from, wallTime: wallTime) { continue }
      } else if !rule.from.hostname.isEmpty || !rule.from.hostKeys.isEmpty {
        continue
      }
      if let to, !matches(to, rule.to, wallTime: wallTime) { continue }
      if !rule.to.user.isEmpty, let user, !Glob.matches(user, pattern: rule.to.user) { continue }
      return true
    }
    return false
  }

  /// Whether a host key (or a host certificate valid at `wallTime`) matches one of a hop's keys.
  static func matches(_ hostKey: [UInt8], _ hop: DestinationHop, wallTime: UInt64) -> Bool {
    guard let parsed = try? PublicKeyBlob(decoding: hostKey), case .certificate(let cert) = parsed else {
      return hop.hostKeys.contains { !$0.isCA && $0.keyBlob == hostKey }
    }
    guard cert.certType == PublicKeyBlob.Certificate.hostType else { return false }
    guard cert.validAfter <= wallTime, wallTime < cert.validBefore else { return false }
    guard cert.principals.isEmpty || cert.principals.contains(hop.hostname) else { return false }
    return hop.hostKeys.contains { $0.isCA && $0.keyBlob == cert.signatureKey }
  }
}

/// OpenSSH's `match_pattern`: `*` and `?` wildcards, no character classes.
enum Glob {
  static func matches(_ text: String, pattern: String) -> Bool {
    let t = Array(text.utf8)
    let p = Array(pattern.utf8)
    var ti = 0
    var pi = 0
    var star = -1
    var mark = 0
    while ti < t.count {
      if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
        ti += 1
        pi += 1
      } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
        star = pi
        mark = ti
        pi += 1
      } else if star >= 0 {
        pi = star + 1
        mark += 1
        ti = mark
      } else {
        return false
      }
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
  }
}
