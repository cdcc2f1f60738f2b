import HostBook
import KeyholdCrypto
import Synchronization
import TestSupport

/// A vault path in a fresh private folder (the vault file itself need not exist: the host files sit beside it).
struct BookFolder {
  let folder: String
  let book: HostBook

  init() {
    folder = TemporaryTree.make("keyhold-hostbook")
    book = HostBook(vaultPath: folder + "/vault")
  }

  func remove() { TemporaryTree.remove(folder) }
}

/// A monotonic clock the test moves by hand, in nanoseconds.
final class ManualClock: Sendable {
  private let t = Atomic<UInt64>(1_000_000_000)
  var now: @Sendable () -> UInt64 { { [self] in t.load(ordering: .relaxed) } }
  func advance(milliseconds: UInt64) { t.add(milliseconds * 1_000_000, ordering: .relaxed) }
}

/// Lines a followed book reported.
final class Reports: Sendable {
  private let lines = Mutex<[String]>([])
  var sink: @Sendable (String) -> Void { { [self] line in lines.withLock { $0.append(line) } } }
  var all: [String] { lines.withLock { $0 } }
}

/// Test keys as their wire blobs: an `ssh-ed25519` blob (RFC 8709) whose 32 key bytes are all `seed`.
enum TestKeys {
  static func blob(_ seed: UInt8) -> [UInt8] {
    let type = Array("ssh-ed25519".utf8)
    return [0, 0, 0, UInt8(type.count)] + type + [0, 0, 0, 32] + [UInt8](repeating: seed, count: 32)
  }

  /// The `known_hosts` key field of ``blob(_:)``.
  static func line(_ seed: UInt8) -> String { "ssh-ed25519 " + Base64.encode(blob(seed)) }

  /// The `SHA256:` fingerprint of ``blob(_:)``.
  static func fingerprint(_ seed: UInt8) -> String { HostBook.fingerprint(ofBlob: blob(seed)) }

  /// A learned record: host `host` opened by key `key` for `user`.
  static func use(host: UInt8, key: UInt8, user: String = "root", at time: String = "2026-12-02T04:40:00Z")
    -> LearnedHost
  {
    LearnedHost(
      hostKey: fingerprint(host), hostKeyLine: line(host), key: fingerprint(key), keyName: "key\(key)", user: user,
      firstUse: time, lastUse: time)
  }
}
