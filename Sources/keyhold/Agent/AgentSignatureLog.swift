import AgentServer
import HostBook
import SSHWire
import SignatureLog

#if canImport(Glibc)
  import Glibc
#endif

/// The agent's ``SignatureRecorder``: queues each answered sign request for the signature log's writer thread,
/// which works out fingerprints, the host name and the line (keyhold-log(1)).
///
/// On the signing path it reads the clock and appends to the writer's queue, nothing else.
final class AgentSignatureLog: SignatureRecorder {
  struct Item: Sendable {
    let event: SignatureEvent
    let seconds: Int
    let milliseconds: Int
  }

  let writer: SignatureLogWriter<Item>

  /// Starts the writer for `files`. `hostName` maps a host key fingerprint to the host or instance it belongs to;
  /// it runs on the writer thread.
  init(files: SignatureLogFiles, hostName: (@Sendable (String) -> String?)? = nil) {
    let pieces = Pieces()
    writer = SignatureLogWriter(files: files) { item, out in
      Self.encode(item, pieces: pieces, hostName: hostName, into: &out)
    }
  }

  func record(_ event: SignatureEvent) {
    let now = SignatureLogTime.now()
    writer.append(Item(event: event, seconds: now.seconds, milliseconds: now.milliseconds))
  }

  func logStatus() -> SignatureLogState {
    let s = writer.currentStatus()
    return SignatureLogState(path: writer.files.path, written: s.written, lost: s.lost, error: s.error ?? "")
  }

  /// Appends the line for `item` (keyhold-log(1), FORMAT) straight into the writer's batch, from the pieces
  /// kept since earlier records: the encoded fingerprints, the peer's fields and the second's time.
  static func encode(
    _ item: Item, pieces: Pieces, hostName: (@Sendable (String) -> String?)?, into out: inout [UInt8]
  ) {
    let e = item.event
    var host: String? = nil
    var hostKey: [UInt8]? = nil
    if let blob = e.hostKey {
      let f = pieces.fingerprint(blob)
      hostKey = f.json
      host = hostName?(f.text)
    }
    var user: String? = nil
    let purpose = e.purpose
    if case .userAuthentication(let u) = purpose { user = u }
    SignatureLogCodec.encodeSign(
      time: pieces.stamp(item.seconds), milliseconds: item.milliseconds, key: e.keyComment,
      fingerprint: pieces.fingerprint(e.keyBlob).json, source: e.source?.rawValue, reason: e.refusal, uid: e.peerUID,
      pid: e.peerPID, peer: pieces.peerFields(e.peer), hostKey: hostKey, host: host, hops: e.hops, user: user,
      purpose: purpose.name, into: &out)
  }

  /// What the writer keeps between records: a few keys sign again and again, from a few connections. Used by the
  /// writer thread alone.
  final class Pieces: @unchecked Sendable {
    private var known: [[UInt8]: (text: String, json: [UInt8])] = [:]
    private var recent: [(blob: [UInt8], value: (text: String, json: [UInt8]))] = []
    private var peers: [ObjectIdentifier: (peer: PeerProcess, json: [UInt8])] = [:]
    private var lastPeer: (peer: PeerProcess, json: [UInt8])? = nil
    private var second = SignatureLogTime.Stamp(seconds: 0)
    private static let noPeer = SignatureLogCodec.peerFields(process: nil, exe: nil, parents: [])

    /// The time up to the second, formatted once per second.
    func stamp(_ seconds: Int) -> SignatureLogTime.Stamp {
      if seconds != second.seconds { second = SignatureLogTime.Stamp(seconds: seconds) }
      return second
    }

    /// The `SHA256:` fingerprint of `blob`, as text and as an encoded JSON string.
    func fingerprint(_ blob: [UInt8]) -> (text: String, json: [UInt8]) {
      // A key signs many times in a row, for the same host: comparing with the last key's and the last host
      // key's blob (the same storage, when the agent passes the held key's blob) spares hashing every byte.
      for r in recent where r.blob == blob { return r.value }
      if let f = known[blob] {
        remember(blob, f)
        return f
      }
      let text = HostBook.fingerprint(ofBlob: blob)
      let f = (text: text, json: SignatureLogCodec.jsonValue(text))
      if known.count >= 1024 { known.removeAll(keepingCapacity: true) }
      known[blob] = f
      remember(blob, f)
      return f
    }

    private func remember(_ blob: [UInt8], _ value: (text: String, json: [UInt8])) {
      if recent.count >= 2 { recent.removeFirst() }
      recent.append((blob, value))
    }

    /// The encoded `process`, `exe` and `parents` fields of `peer`. The cache holds the peer object itself, so
    /// an object identifier it knows is never reused for another peer.
    func peerFields(_ peer: PeerProcess?) -> [UInt8] {
      guard let peer else { return Self.noPeer }
      if let last = lastPeer, last.peer === peer { return last.json }
      let id = ObjectIdentifier(peer)
      if let known = peers[id] {
        lastPeer = known
        return known.json
      }
      let json = SignatureLogCodec.peerFields(
        process: peer.process.name, exe: peer.process.executable,
        parents: peer.parents.map { SignatureRecord.Process(pid: $0.pid, process: $0.name, exe: $0.executable) })
      if peers.count >= 256 { peers.removeAll(keepingCapacity: true) }
      peers[id] = (peer, json)
      lastPeer = (peer, json)
      return json
    }
  }

  /// Host names from the instances file beside the vault (keyhold-sync(1)): host key fingerprint → the instance's
  /// Name tag, else its id. Runs on the log's writer thread, off the signing path, so it looks at the file (one
  /// stat(2)) for every bound signature and reads it again when it was replaced or changed: a signature right after
  /// `keyhold sync` is logged under the name the sync found.
  static func instanceNames(vaultPath: String?) -> (@Sendable (String) -> String?)? {
    guard let vaultPath else { return nil }
    let names = InstanceNames(book: HostBook(vaultPath: vaultPath))
    return { names.name(for: $0) }
  }

  final class InstanceNames: @unchecked Sendable {
    let book: HostBook
    private var byHostKey: [String: String] = [:]
    private var stamp: [Int] = []

    init(book: HostBook) { self.book = book }

    func name(for hostKey: String) -> String? {
      var st = stat()
      let now =
        stat(book.instancesPath, &st) == 0
        ? [Int(st.st_dev), Int(st.st_ino), Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec)] : []
      if now != stamp {
        stamp = now
        var map: [String: String] = [:]
        for instance in (try? book.instances()) ?? [] {
          for line in instance.hostKeys {
            if let f = HostBook.fingerprint(ofKeyLine: line) { map[f] = instance.name ?? instance.id }
          }
        }
        byHostKey = map
      }
      return byHostKey[hostKey]
    }
  }
}
