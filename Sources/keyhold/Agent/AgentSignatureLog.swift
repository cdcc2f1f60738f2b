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
    let fingerprints = FingerprintCache()
    writer = SignatureLogWriter(files: files) { item in
      Self.render(item, fingerprints: fingerprints, hostName: hostName)
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

  static func render(_ item: Item, fingerprints: FingerprintCache, hostName: (@Sendable (String) -> String?)?)
    -> SignatureRecord
  {
    let e = item.event
    let hostKey = e.hostKey.map { fingerprints.fingerprint($0) }
    var user: String? = nil
    if case .userAuthentication(let u) = e.purpose { user = u }
    let peer = e.peer
    return SignatureRecord(
      time: fingerprints.time(seconds: item.seconds, milliseconds: item.milliseconds),
      key: e.keyComment, fingerprint: fingerprints.fingerprint(e.keyBlob), source: e.source?.rawValue,
      outcome: e.refusal == nil ? "signed" : "refused", reason: e.refusal, uid: e.peerUID, pid: e.peerPID,
      process: peer?.process.name, exe: peer?.process.executable,
      parents: peer?.parents.map { SignatureRecord.Process(pid: $0.pid, process: $0.name, exe: $0.executable) } ?? [],
      hostKey: hostKey, host: hostKey.flatMap { hostName?($0) }, hops: e.hops, user: user, purpose: e.purpose.name)
  }

  /// Fingerprints of the blobs seen lately: a few keys sign again and again. Used by the writer thread alone.
  final class FingerprintCache: @unchecked Sendable {
    private var known: [[UInt8]: String] = [:]
    private var second = -1
    private var secondText = ""

    /// The RFC 3339 time; the text up to the second is formatted once per second.
    func time(seconds: Int, milliseconds: Int) -> String {
      if seconds != second {
        second = seconds
        secondText = String(SignatureLogTime.format(seconds: seconds).dropLast(4))
      }
      let ms = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
      return secondText + ms + "Z"
    }

    func fingerprint(_ blob: [UInt8]) -> String {
      if let f = known[blob] { return f }
      let f = HostBook.fingerprint(ofBlob: blob)
      if known.count >= 1024 { known.removeAll(keepingCapacity: true) }
      known[blob] = f
      return f
    }
  }

  /// Host names from the instances file beside the vault (keyhold-sync(1)): host key fingerprint → the instance's
  /// Name tag, else its id. Read again when the file changes, looked at no more than once a minute.
  static func instanceNames(vaultPath: String?) -> (@Sendable (String) -> String?)? {
    guard let vaultPath else { return nil }
    let names = InstanceNames(book: HostBook(vaultPath: vaultPath))
    return { names.name(for: $0) }
  }

  final class InstanceNames: @unchecked Sendable {
    let book: HostBook
    private var byHostKey: [String: String] = [:]
    private var checked: Int = -1_000_000
    private var modified: (Int, Int) = (-1, -1)

    init(book: HostBook) { self.book = book }

    func name(for hostKey: String) -> String? {
      let now = Int(time(nil))
      if now - checked >= 60 {
        checked = now
        var st = stat()
        let m = stat(book.instancesPath, &st) == 0 ? (Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec)) : (0, 0)
        if m != modified {
          modified = m
          var map: [String: String] = [:]
          for instance in (try? book.instances()) ?? [] {
            for line in instance.hostKeys {
              if let f = HostBook.fingerprint(ofKeyLine: line) { map[f] = instance.name ?? instance.id }
            }
          }
          byHostKey = map
        }
      }
      return byHostKey[hostKey]
    }
  }
}
