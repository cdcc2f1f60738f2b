/// How a listing on a connection bound to a server is ordered (keyhold-agent(1), KEY ORDER): first the keys the
/// host index maps to the last binding's host key (on a forwarded connection, the last hop's), then the keys no
/// known host maps to, then the keys known only for other hosts, which `--hide-other-hosts` leaves out. Each group
/// keeps the plain order. ssh offers keys in the order listed and sshd counts each offer against MaxAuthTries, so
/// the key that opens the server must come before the others.
struct HostOrdering: Sendable {
  /// The host knowledge the order is taken from.
  let index: HostKeyIndex
  /// The fingerprint of the host key the connection was last bound to (``KeyFingerprint``).
  let host: String
  /// Whether keys known only for other hosts are left out.
  let hideOthers: Bool

  /// The fingerprints of the keys known to open ``host``.
  var hostKeys: Set<String> { index.keysByHost[host] ?? [] }

  /// `entries` (in the plain order) in this order. Linear, with two set look-ups per entry; the socket path
  /// serves framed replies from ``ListingReplies`` instead, so this runs for values and filtered listings only.
  func order(_ entries: [ListedKey]) -> [ListedKey] {
    let mine = hostKeys
    var first: [ListedKey] = []
    var unknown: [ListedKey] = []
    var others: [ListedKey] = []
    unknown.reserveCapacity(entries.count)
    for entry in entries {
      if mine.contains(entry.fingerprint) {
        first.append(entry)
      } else if !index.keysWithKnownHost.contains(entry.fingerprint) {
        unknown.append(entry)
      } else if !hideOthers {
        others.append(entry)
      }
    }
    return first + unknown + others
  }
}
