import SSHWire
import Synchronization

/// The framed identities answers, cached where framing lives, so an unchanged listing is written from bytes
/// framed once instead of being framed again for every request (a listing of 1,000 keys is some 70 KB).
///
/// Two kinds of reply are cached:
/// - the plain listing (unbound connections: ssh-add -l, older clients, a failed bind), keyed by the keyring's
///   version, which every change to the keys, their constraints, the vault or the lock bumps;
/// - listings ordered for a host (``HostOrdering``), keyed by the keyring's version and the host index's
///   generation, each built from one ``HostLayout``: the entries framed once per version and generation, in two
///   blocks (keys no known host maps to, keys some host maps to) plus where each known key's bytes start. A
///   host's reply is then a header, the few entries of its own keys, and the two blocks copied around them: no
///   set look-up and no encoding per key, only copying bytes. The last few hosts' replies are kept whole (ssh
///   connects to the same hosts again and again), within a byte budget, since with 10,000 keys one reply is
///   700 KB.
///
/// Listings a connection filters by destination restrictions (PROTOCOL.agent §2) depend on all of its bindings
/// and on the wall clock, and are framed afresh, as before.
final class ListingReplies: Sendable {
  /// At most this many host-ordered replies are kept whole.
  static let hostReplyLimit = 16
  /// And at most this many bytes of them.
  static let hostReplyBudget = 8 * 1024 * 1024

  private struct State {
    var plain: (version: UInt64, reply: [UInt8])? = nil
    var layout: HostLayout? = nil
    /// Whole replies by host fingerprint, for ``layout``; oldest first in ``hostOrder``.
    var hostReplies: [String: [UInt8]] = [:]
    var hostOrder: [String] = []
    var hostBytes = 0

    mutating func dropHostReplies() {
      hostReplies = [:]
      hostOrder = []
      hostBytes = 0
    }
  }

  private let state = Mutex(State())

  /// The framed plain listing at keyring version `version`; `build` gives the entries (and the version they were
  /// built at) when the cached reply is older.
  func plain(version: UInt64, build: () -> (version: UInt64, entries: [ListedKey])) -> [UInt8] {
    if let cached = state.withLock({ s in s.plain.flatMap { $0.version == version ? $0.reply : nil } }) {
      return cached
    }
    let (built, entries) = build()
    let reply = AgentFraming.frame(.identitiesAnswer(entries.map(\.identity)))
    state.withLock { s in
      if s.plain.map({ $0.version <= built }) ?? true { s.plain = (built, reply) }
    }
    return reply
  }

  /// The framed listing at keyring version `version` in `ordering`'s order; `build` as for ``plain(version:build:)``.
  func ordered(
    version: UInt64, ordering: HostOrdering, build: () -> (version: UInt64, entries: [ListedKey])
  ) -> [UInt8] {
    let generation = ordering.index.generation
    let hide = ordering.hideOthers
    let found: (reply: [UInt8]?, layout: HostLayout?) = state.withLock { s in
      guard let layout = s.layout, layout.describes(version: version, generation: generation, hideOthers: hide)
      else { return (nil, nil) }
      return (s.hostReplies[ordering.host], layout)
    }
    if let reply = found.reply { return reply }
    let layout: HostLayout
    if let cached = found.layout {
      layout = cached
    } else {
      let (built, entries) = build()
      layout = HostLayout(entries, index: ordering.index, hideOthers: hide, version: built)
    }
    let reply = layout.reply(hostKeys: ordering.hostKeys)
    state.withLock { s in
      let stored = s.layout?.describes(version: layout.version, generation: layout.generation, hideOthers: hide)
      if stored != true {
        // A layout of a newer keyring stored meanwhile stays; this reply is still right for its request.
        guard s.layout.map({ $0.version <= layout.version }) ?? true else { return }
        s.layout = layout
        s.dropHostReplies()
      }
      guard s.hostReplies[ordering.host] == nil, reply.count <= Self.hostReplyBudget else { return }
      while !s.hostOrder.isEmpty
        && (s.hostOrder.count >= Self.hostReplyLimit || s.hostBytes + reply.count > Self.hostReplyBudget)
      {
        let oldest = s.hostOrder.removeFirst()
        s.hostBytes -= s.hostReplies.removeValue(forKey: oldest)?.count ?? 0
      }
      s.hostReplies[ordering.host] = reply
      s.hostOrder.append(ordering.host)
      s.hostBytes += reply.count
    }
    return reply
  }
}

/// A listing framed once for one keyring version and one host index generation, cut so any host's ordering
/// (``HostOrdering``) is a header and byte copies of what is here.
struct HostLayout: Sendable {
  /// The keyring version and host index generation the layout was built from.
  let version: UInt64
  let generation: UInt64
  /// Whether keys known only for other hosts are left out of replies.
  let hideOthers: Bool
  /// The encoded entries of keys no known host maps to, in the plain order.
  let unknown: [UInt8]
  let unknownCount: Int
  /// The encoded entries of keys some known host maps to, in the plain order.
  let known: [UInt8]
  /// Where each entry of ``known`` starts, and, last, ``known``'s length.
  let knownStarts: [Int]
  /// Fingerprint → position of its first entry in ``known``; the rare further ones (a key and its certificate
  /// share a fingerprint) are in ``morePositions``, so building the layout allocates no array per key.
  let knownPositions: [String: Int]
  let morePositions: [String: [Int]]

  /// Whether this layout is the one for keyring version `version` and host index generation `generation`.
  func describes(version: UInt64, generation: UInt64, hideOthers: Bool) -> Bool {
    self.version == version && self.generation == generation && self.hideOthers == hideOthers
  }

  init(_ entries: [ListedKey], index: HostKeyIndex, hideOthers: Bool, version: UInt64) {
    self.version = version
    self.generation = index.generation
    self.hideOthers = hideOthers
    var unknown: [UInt8] = []
    var known: [UInt8] = []
    var starts: [Int] = []
    var positions: [String: Int] = [:]
    var more: [String: [Int]] = [:]
    positions.reserveCapacity(entries.count)
    var unknownCount = 0
    for entry in entries {
      if index.keysWithKnownHost.contains(entry.fingerprint) {
        // One look-up for the common case; a repeated fingerprint keeps its first position.
        if let first = positions.updateValue(starts.count, forKey: entry.fingerprint) {
          positions[entry.fingerprint] = first
          more[entry.fingerprint, default: []].append(starts.count)
        }
        starts.append(known.count)
        AgentFraming.appendEntry(entry.identity, to: &known)
      } else {
        unknownCount += 1
        AgentFraming.appendEntry(entry.identity, to: &unknown)
      }
    }
    starts.append(known.count)
    self.unknown = unknown
    self.unknownCount = unknownCount
    self.known = known
    self.knownStarts = starts
    self.knownPositions = positions
    self.morePositions = more
  }

  /// The framed reply for a host whose known keys are `hostKeys`: their entries, the unknown block, and (unless
  /// ``hideOthers``) the known block without them.
  func reply(hostKeys: Set<String>) -> [UInt8] {
    var mine: [Int] = []
    for fingerprint in hostKeys {
      guard let first = knownPositions[fingerprint] else { continue }
      mine.append(first)
      if let others = morePositions[fingerprint] { mine.append(contentsOf: others) }
    }
    mine.sort()
    var size = unknown.count
    for p in mine { size += knownStarts[p + 1] - knownStarts[p] }
    var count = mine.count + unknownCount
    if !hideOthers {
      size = unknown.count + known.count
      count = knownStarts.count - 1 + unknownCount
    }
    var out: [UInt8] = []
    out.reserveCapacity(9 + size)
    AgentFraming.appendListingHeader(bodySize: size, count: count, to: &out)
    for p in mine { out.append(contentsOf: known[knownStarts[p]..<knownStarts[p + 1]]) }
    out.append(contentsOf: unknown)
    if !hideOthers {
      var from = 0
      for p in mine {
        out.append(contentsOf: known[knownStarts[from]..<knownStarts[p]])
        from = p + 1
      }
      out.append(contentsOf: known[knownStarts[from]...])
    }
    return out
  }
}
