import AgentServer
import KeyholdCrypto
import SSHKeys
import Synchronization

/// An in-memory vault for agent tests: fixed keys, one passphrase, a count of unlock attempts.
final class MemoryKeySource: AgentKeySource, @unchecked Sendable {
  let keys: [PrivateKey]
  let hidden: Set<[UInt8]>
  let passphrase: [UInt8]
  private let unlocks = Mutex(0)

  init(keys: [PrivateKey], passphrase: String = "vault-pass", hidden: Set<[UInt8]> = []) {
    self.keys = keys
    self.passphrase = Array(passphrase.utf8)
    self.hidden = hidden
  }

  var unlockCount: Int { unlocks.withLock { $0 } }

  func publicKeys() throws -> [AgentSourceKey] {
    keys.map {
      AgentSourceKey(blob: $0.publicKey.blob, comment: $0.comment, hidden: hidden.contains($0.publicKey.blob))
    }
  }

  struct WrongPassphrase: Error {}

  func unlock(passphrase given: SecureBytes) throws -> [PrivateKey] {
    unlocks.withLock { $0 += 1 }
    guard given.unsafeCopy() == passphrase else { throw WrongPassphrase() }
    return keys
  }
}
