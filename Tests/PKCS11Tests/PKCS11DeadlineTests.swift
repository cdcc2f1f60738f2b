import AgentServer
import Foundation
import SSHKeys
import SSHWire
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A provider stuck in C_Login or C_Sign, stood for by a fake helper that never answers: the exchange ends at the
/// deadline, the helper is killed, and the agent drops the provider's keys. The deadlines are injected; the helper
/// never answers at all, so the outcome does not depend on how loaded the machine is.
@Suite struct PKCS11DeadlineTests {
  /// A folder with a fake helper script, a stand-in provider file the allow-list accepts, and the helper's pid file.
  final class Bed {
    let path = TemporaryTree.make("pkcs11-deadline")
    var helper: String { path + "/helper" }
    var provider: String { path + "/provider.so" }
    var allowList: PKCS11AllowList { PKCS11AllowList(patterns: path + "/*") }

    deinit { TemporaryTree.remove(path) }

    /// `answersLoad`: the helper writes a KEYS reply offering `key` (without reading the request), then hangs on
    /// everything after; otherwise it hangs from the start.
    init(answersLoad key: PublicKey? = nil) throws {
      _ = FileManager.default.createFile(atPath: path + "/provider.so", contents: Data())
      var script = "#!/bin/sh\necho $$ > \(path)/pid\n"
      if let key {
        var keys = SSHWriter()
        keys.writeByte(128)
        keys.writeUInt32(1)
        keys.writeString(key.blob)
        keys.writeString("hung-key")
        var frame = SSHWriter()
        frame.writeString(keys.bytes)
        _ = FileManager.default.createFile(atPath: path + "/keys", contents: Data(frame.bytes))
        script += "cat \(path)/keys\n"
      }
      script += "exec sleep 600\n"
      try Self.writeScript(helper, script)
    }

    /// Writes an executable script through a close-on-exec descriptor: a program another test forks meanwhile must
    /// not inherit it open for writing, or starting the helper fails with ETXTBSY.
    static func writeScript(_ path: String, _ text: String) throws {
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
      guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
      let bytes = Array(text.utf8)
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
      close(fd)
      guard n == bytes.count else { throw POSIXError(.EIO) }
    }

    /// True when the helper wrote its pid and that process is gone (killed and reaped); nil when it never ran.
    var helperGone: Bool? {
      guard let text = try? String(contentsOfFile: path + "/pid", encoding: .utf8),
        let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
      else { return nil }
      return kill(pid, 0) != 0 && errno == ESRCH
    }
  }

  /// How the helper ended, from the error `body` threw; nil when it did not throw.
  static func reason(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch PKCS11Error.helperExited(let reason) {
      return reason
    } catch {
      return "\(error)"
    }
  }

  @Test func aHelperThatNeverAnswersLoadIsKilledAtTheDeadline() throws {
    let bed = try Bed()
    let reason = Self.reason {
      _ = try PKCS11Provider.load(
        path: bed.provider, pin: Array("1234".utf8), helper: bed.helper, allowList: bed.allowList,
        deadlines: PKCS11Deadlines(load: .milliseconds(300), sign: .seconds(600)))
    }
    #expect(reason == "did not answer within 0.3 s and was killed")
    #expect(bed.helperGone != false)
  }

  @Test func aSignatureThatNeverReturnsIsKilledAtTheDeadlineAndLaterCallsFailAtOnce() throws {
    let key = try PrivateKey.generate(.ed25519, comment: "k").publicKey
    let bed = try Bed(answersLoad: key)
    let provider = try PKCS11Provider.load(
      path: bed.provider, pin: [], helper: bed.helper, allowList: bed.allowList,
      deadlines: PKCS11Deadlines(load: .seconds(600), sign: .milliseconds(300)))
    #expect(provider.keys.map(\.comment) == ["hung-key"])
    let reason = Self.reason { _ = try provider.sign(blob: key.blob, data: [1, 2, 3], flags: 0) }
    #expect(reason == "did not answer within 0.3 s and was killed")
    #expect(!provider.isLoaded && provider.helperPID == nil)
    #expect(bed.helperGone == true)
    let again = Self.reason { _ = try provider.sign(blob: key.blob, data: [1, 2, 3], flags: 0) }
    #expect(again == "did not answer within 0.3 s and was killed")
  }

  @Test func theAgentDropsTheKeysOfAProviderWhoseHelperWasKilledAndSaysWhy() throws {
    let key = try PrivateKey.generate(.ed25519, comment: "k").publicKey
    let bed = try Bed(answersLoad: key)
    let lines = LockedLines()
    var configuration = AgentConfiguration(log: { _, line in lines.append(line) })
    configuration.pkcs11Helper = bed.helper
    configuration.pkcs11AllowList = bed.allowList
    configuration.pkcs11Deadlines = PKCS11Deadlines(load: .seconds(600), sign: .milliseconds(300))
    let agent = Agent(configuration: configuration)
    var connection = AgentConnectionState(peerUID: getuid(), peerPID: getpid(), number: 1)
    let add = AgentRequest.addSmartcardKey(AgentSmartcardKey(id: bed.provider, pin: []))
    #expect(agent.respond(to: add, connection: &connection) == .success, "\(lines.all)")
    #expect(agent.respond(to: .requestIdentities, connection: &connection).listedComments == ["hung-key"])
    let sign = AgentRequest.signRequest(AgentSignRequest(keyBlob: key.blob, data: [1], flags: 0))
    #expect(agent.respond(to: sign, connection: &connection) == .failure)
    #expect(agent.respond(to: .requestIdentities, connection: &connection).listedComments == [])
    let said = lines.all.filter { $0.contains("dropped pkcs11 provider") }
    #expect(said.count == 1)
    #expect(said.first?.contains("did not answer within 0.3 s and was killed") == true, "\(said)")
    // Dropped, not merely failing: the agent no longer has the provider to remove.
    let remove = AgentRequest.removeSmartcardKey(AgentSmartcardKey(id: bed.provider, pin: []))
    #expect(agent.respond(to: remove, connection: &connection) == .failure)
  }
}

/// Log lines collected from the agent's threads.
final class LockedLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}

extension AgentResponse {
  /// The comments of an identities answer; nil for any other reply.
  var listedComments: [String]? {
    guard case .identitiesAnswer(let ids) = self else { return nil }
    return ids.map(\.comment)
  }
}
