import KeyholdCrypto
import SignatureLog
import Vault

/// When each key last signed, from the agent's signature log (keyhold-log(1)), for `keyhold show`,
/// `keyhold audit` and its prune candidates (`--unused DAYS`). Only signatures made count as use, not refusals.
public struct KeyUsage: Sendable, Equatable {
  /// One signature.
  public struct Use: Sendable, Equatable {
    /// RFC 3339 UTC, as the log has it.
    public var time: String
    /// Seconds since the Unix epoch.
    public var epochSeconds: Double
    /// `ssh-userauth`, `sshsig:NAMESPACE` or `other`.
    public var purpose: String?
    /// The host or instance name, else the host key fingerprint; nil when no session was bound.
    public var host: String?
    /// The process that asked.
    public var process: String?
  }

  /// A key no signature in the log used for the period asked: a prune candidate, never pruned here.
  public struct Unused: Sendable, Equatable {
    /// The vault name.
    public var name: String
    /// The key's SHA256 fingerprint.
    public var fingerprint: String
    /// Its last use, if the log has one (older than the period).
    public var lastUse: Use?
    /// Its cloud key pairs, as `REGION:NAME` (`?` for an unknown region).
    public var keyPairs: [String]
  }

  /// The last use of each key fingerprint.
  public var lastUse: [String: Use]
  /// When the oldest record still in the log was made; nil for an empty log. A key unused since then may have
  /// been used before.
  public var since: Double?
  /// Lines of the log that could not be read.
  public var unreadable: Int

  /// Creates usage from records (oldest first, as the log keeps them).
  public init(records: [SignatureRecord], unreadable: Int = 0) {
    var last: [String: Use] = [:]
    var since: Double? = nil
    for r in records {
      guard let t = r.epochSeconds else { continue }
      since = min(since ?? t, t)
      guard r.event == .sign, r.outcome == "signed", let f = r.fingerprint else { continue }
      if let known = last[f], known.epochSeconds > t { continue }
      last[f] = Use(time: r.time, epochSeconds: t, purpose: r.purpose, host: r.host ?? r.hostKey, process: r.process)
    }
    self.lastUse = last
    self.since = since
    self.unreadable = unreadable
  }

  /// Reads the log's files.
  public static func read(_ files: SignatureLogFiles) -> KeyUsage {
    let (records, unreadable, _) = files.read()
    return KeyUsage(records: records, unreadable: unreadable)
  }

  /// The OpenSSH fingerprint of a vault entry's public key, as the log records it.
  public static func fingerprint(_ entry: VaultEntry) -> String {
    "SHA256:" + Base64.encode(Digest.sha256(entry.publicKeyBlob), padded: false)
  }

  /// The last use of `entry`.
  public func last(_ entry: VaultEntry) -> Use? { lastUse[Self.fingerprint(entry)] }

  /// The vault's keys with no use in the last `days` days before `now` (seconds since the epoch), by name.
  public func unused(in view: VaultPublicView, days: Int, now: Double) -> [Unused] {
    let cutoff = now - Double(days) * 86400
    return view.entries.compactMap { e -> Unused? in
      let use = last(e)
      if let use, use.epochSeconds >= cutoff { return nil }
      let pairs = KeyBindings.of(e, in: view).map { "\($0.place.region.isEmpty ? "?" : $0.place.region):\($0.keyName)" }
      return Unused(name: e.name, fingerprint: Self.fingerprint(e), lastUse: use, keyPairs: pairs)
    }.sorted { $0.name < $1.name }
  }
}
