import AgentServer
import Foundation
import KeyholdCrypto
import SSHKeys
import Synchronization

/// An in-memory vault for agent tests: fixed keys, one passphrase, a count of unlock attempts.
final class MemoryKeySource: AgentKeySource, @unchecked Sendable {
  let keys: [PrivateKey]
  let hidden: Set<[UInt8]>
  let passphrase: [UInt8]
  private let unlocks = Mutex(0)
  private let running = Mutex((now: 0, most: 0))
  /// How long each unlock takes, as a key derivation would (microseconds).
  let unlockMicroseconds: UInt32

  init(
    keys: [PrivateKey], passphrase: String = "vault-pass", hidden: Set<[UInt8]> = [], unlockMicroseconds: UInt32 = 0
  ) {
    self.unlockMicroseconds = unlockMicroseconds
    self.keys = keys
    self.passphrase = Array(passphrase.utf8)
    self.hidden = hidden
  }

  var unlockCount: Int { unlocks.withLock { $0 } }
  /// The most unlocks that ever ran at once.
  var mostConcurrentUnlocks: Int { running.withLock { $0.most } }

  func publicKeys() throws -> [AgentSourceKey] {
    keys.map {
      AgentSourceKey(blob: $0.publicKey.blob, comment: $0.comment, hidden: hidden.contains($0.publicKey.blob))
    }
  }

  struct WrongPassphrase: Error {}

  func unlock(passphrase given: SecureBytes) throws -> [PrivateKey] {
    unlocks.withLock { $0 += 1 }
    running.withLock { r in
      r.now += 1
      r.most = max(r.most, r.now)
    }
    defer { running.withLock { $0.now -= 1 } }
    if unlockMicroseconds > 0 { usleep(unlockMicroseconds) }
    guard given.unsafeCopy() == passphrase else { throw WrongPassphrase() }
    return keys
  }
}
