import AgentServer
import Audit
import HostBook
import Synchronization

/// The agent's ``HostDirectory`` over the host books of the vault it serves (keyhold-hosts(5)): listings get the
/// index of both files, followed as `keyhold sync` and `keyhold hosts forget` change them; user-authentication
/// signatures become learned records written by a background thread, never on the signing path.
final class AgentHostDirectory: HostDirectory {
  let book: LiveHostBook
  /// The index handed out last, rebuilt only when the books' generation moves (its key set costs a pass over
  /// every host).
  private let cached = Mutex(HostKeyIndex.empty)

  /// Follows the books beside `vaultPath`; problems go to `log` once each (escaped there, as the agent's log).
  ///
  /// Every bound listing looks at the books (no check interval): `keyhold sync && ssh host` must offer the keys
  /// in the order the sync just wrote, or a host with a low MaxAuthTries refuses the login. Only ssh(1) logins
  /// bind, and their handshakes cost milliseconds next to a look's two stat(2) calls.
  init(vaultPath: String, log: (@Sendable (String) -> Void)?) {
    let sink = log
    book = LiveHostBook(
      book: HostBook(vaultPath: vaultPath), checkInterval: 0,
      report: { line in sink?(AgentLogEscape.escape(line)) })
  }

  func index() -> HostKeyIndex {
    let snapshot = book.snapshot()
    return cached.withLock { index in
      if index.generation != snapshot.generation {
        index = HostKeyIndex(generation: snapshot.generation, keysByHost: snapshot.keysByHost)
      }
      return index
    }
  }

  func record(_ use: HostUse) {
    book.enqueue(Self.learned(use))
  }

  /// The learned-file record of one use (keyhold-hosts(5)): its time in RFC 3339 UTC, the host key as a
  /// `known_hosts` key field.
  static func learned(_ use: HostUse) -> LearnedHost {
    let time = AuditTime.rfc3339(Int64(clamping: use.wallTime))
    return LearnedHost(
      hostKey: use.hostKey, hostKeyLine: HostBook.keyLine(ofBlob: use.hostKeyBlob), key: use.key,
      keyName: use.keyComment.isEmpty ? nil : use.keyComment, user: use.user, firstUse: time, lastUse: time)
  }

  /// Waits a little for queued records to reach the file (the agent is exiting).
  func flush() { book.flush(seconds: 2) }
}
