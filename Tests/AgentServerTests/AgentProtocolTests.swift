import AgentServer
import Foundation
import SSHWire
import Synchronization
import TestSupport
import Testing

@Suite struct AgentProtocolTests {
  @Test func unknownMessageGetsFailureAndTheConnectionStaysOpen() throws {
    let t = try TestAgent()
    let c = try t.client()
    #expect(try c.call(.unknown(200, [1, 2, 3])) == .failure)
    #expect(try c.call(.requestIdentities) == .identitiesAnswer([]))
  }

  @Test func frameAboveTheCapClosesTheConnectionBeforeItsBody() throws {
    let t = try TestAgent()
    let c = try t.client()
    try c.writeRaw([0x00, 0x04, 0x00, 0x01])  // 256 KiB + 1, body never sent
    #expect(connectionIsClosed(c))
  }

  @Test func frameOfLengthZeroClosesTheConnection() throws {
    let t = try TestAgent()
    let c = try t.client()
    try c.writeRaw([0, 0, 0, 0])
    #expect(connectionIsClosed(c))
  }

  @Test func requestSentByteByByteIsAnswered() throws {
    let t = try TestAgent()
    let c = try t.client()
    for b in AgentFrame.frame(AgentRequest.requestIdentities.encode()) { try c.writeRaw([b]) }
    #expect(try c.readReply() == .identitiesAnswer([]))
  }

  @Test func coalescedRequestsAreAnsweredInOrder() throws {
    let t = try TestAgent()
    let c = try t.client()
    let list = AgentFrame.frame(AgentRequest.requestIdentities.encode())
    let unknown = AgentFrame.frame([99])
    let query = AgentFrame.frame(AgentRequest.extension(.query).encode())
    try c.writeRaw(list + unknown + query + list)
    #expect(try c.readReply() == .identitiesAnswer([]))
    #expect(try c.readReply() == .failure)
    guard case .extensionResponse(.query(let names)) = try c.readReply() else {
      Issue.record("no query reply")
      return
    }
    #expect(names.contains("session-bind@openssh.com"))
    #expect(try c.readReply() == .identitiesAnswer([]))
  }

  @Test func malformedKnownMessageGetsFailureAndTheConnectionStaysOpen() throws {
    let t = try TestAgent()
    let c = try t.client()
    try c.writeRaw(AgentFrame.frame([13, 0, 0]))  // truncated sign request
    #expect(try c.readReply() == .failure)
    #expect(try c.call(.requestIdentities) == .identitiesAnswer([]))
  }

  @Test func lockedAgentListsNothingRefusesOthersAndUnlocksWithTheSamePassphrase() throws {
    let t = try TestAgent()
    let c = try t.client()
    #expect(try c.call(.lock(passphrase: Array("pw".utf8))) == .success)
    #expect(try c.call(.lock(passphrase: Array("pw".utf8))) == .failure)
    #expect(try c.call(.requestIdentities) == .identitiesAnswer([]))
    #expect(try c.call(.removeAllIdentities) == .failure)
    #expect(try c.call(.extension(.query)) == .failure)
    #expect(try c.call(.unlock(passphrase: Array("wrong".utf8))) == .failure)
    #expect(try c.call(.unlock(passphrase: Array("pw".utf8))) == .success)
    #expect(try c.call(.removeAllIdentities) == .success)
  }

  @Test func unlockWhenNotLockedFailsWithoutAVault() throws {
    let t = try TestAgent()
    let c = try t.client()
    #expect(try c.call(.unlock(passphrase: Array("pw".utf8))) == .failure)
    #expect(try c.call(.lock(passphrase: [])) == .failure)
  }

  @Test func vaultStatusWithoutAVaultSaysNone() throws {
    let t = try TestAgent()
    let c = try t.client()
    let reply = try c.call(.extension(.vaultStatus))
    #expect(
      reply
        == .extensionResponse(
          .vaultStatus(AgentVaultStatus(state: .none, keyCount: 0, secondsLeft: 0, agentLocked: false))))
    #expect(try c.call(.extension(.vaultLock)) == .extensionFailure)
  }

  @Test func sessionBindWithABadSignatureFailsAndTheConnectionStillLists() throws {
    let t = try TestAgent(verify: { _, _, _ in false })
    let c = try t.client()
    let bind = SessionBind(hostKey: [1], sessionID: [2], signature: [3], isForwarding: false)
    #expect(try c.call(.extension(.sessionBind(bind))) == .extensionFailure)
    #expect(try c.call(.requestIdentities) == .identitiesAnswer([]))
  }

  @Test func sessionBindIsRecordedOnceAndRefusesASecondAuthenticationBind() throws {
    let t = try TestAgent(verify: { _, _, _ in true })
    let c = try t.client()
    let bind = SessionBind(hostKey: [1], sessionID: [2], signature: [3], isForwarding: false)
    #expect(try c.call(.extension(.sessionBind(bind))) == .success)
    let other = SessionBind(hostKey: [1], sessionID: [4], signature: [3], isForwarding: false)
    #expect(try c.call(.extension(.sessionBind(other))) == .extensionFailure)
  }

  @Test func unknownExtensionGetsPlainFailure() throws {
    let t = try TestAgent()
    let c = try t.client()
    #expect(try c.call(.extension(.other(name: "nope@example.org", contents: []))) == .failure)
  }

  @Test func smartcardRequestsForAMissingProviderFail() throws {
    let t = try TestAgent()
    let c = try t.client()
    #expect(try c.call(.addSmartcardKey(AgentSmartcardKey(id: "/x.so", pin: []))) == .failure)
  }

  @Test func socketIsCreatedOwnerOnly() throws {
    let t = try TestAgent()
    var st = stat()
    #expect(stat(t.path, &st) == 0)
    #expect(st.st_mode & 0o777 == 0o600)
  }

  /// The umask belongs to the whole process: a bind that set it for a moment gave files other threads created
  /// then (a test's askpass script) mode 0600. /proc/self/status shows it without changing it.
  @Test func bindingASocketNeverChangesTheUmask() throws {
    func umaskNow() -> String? {
      let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)
      return status?.split(separator: "\n").first { $0.hasPrefix("Umask:") }.map(String.init)
    }
    let before = try #require(umaskNow())
    let directory = TemporaryTree.make("keyhold-umask")
    defer { TemporaryTree.remove(directory) }
    let binding = Atomic<Bool>(true)
    let binder = Thread {
      for n in 0..<300 {
        let path = directory + "/s\(n)"
        if let listener = try? AgentListener.bind(path: path) {
          listener.stop()
          close(listener.fd)
        }
      }
      binding.store(false, ordering: .sequentiallyConsistent)
    }
    binder.start()
    var seen: Set<String> = []
    var samples = 0
    while binding.load(ordering: .sequentiallyConsistent) {
      if let u = umaskNow() { seen.insert(u) }
      samples += 1
    }
    #expect(samples > 0)
    #expect(seen.isSubset(of: [before]), "umask seen while binding: \(seen.sorted())")
  }
}

@Test(arguments: [
  ("30", UInt32(30)), ("5m", 300), ("1h30m", 5400), ("2d", 172_800), ("1w", 604_800), ("10S", 10), ("1h5", 3605),
])
func sshTimeFormatsAreParsed(_ text: String, _ seconds: UInt32) {
  #expect(SSHTimeSpec.seconds(text) == seconds)
}

@Test(arguments: ["", "m", "5x", "-1", "99999999999", "1.5h"])
func invalidTimesAreRejected(_ text: String) {
  #expect(SSHTimeSpec.seconds(text) == nil)
}
