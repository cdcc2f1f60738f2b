import Foundation
import KeyholdCrypto
import SSHKeys
import SSHWire
import Synchronization
import Testing

@testable import AgentServer

/// The dispatcher: decoded requests in, response values out, no socket and no framing.
@Suite struct AgentDispatcherTests {
  static func connection() -> AgentConnectionState { AgentConnectionState(peerUID: 0, peerPID: 1, number: 1) }

  static func add(_ key: PrivateKey, _ constraints: [AgentConstraint] = []) throws -> AgentRequest {
    let wire = try AgentPrivateKeyWire.decode(key.encodeWire().unsafeCopy())
    return .addIDConstrained(AgentAddIdentity(key: wire, comment: key.comment, constraints: constraints))
  }

  @Test func addListSignAndRemoveAnswerWithValues() throws {
    let agent = Agent(configuration: AgentConfiguration())
    var c = Self.connection()
    let k = try PrivateKey.generate(.ed25519, comment: "k")
    #expect(agent.respond(to: try Self.add(k), connection: &c) == .success)
    #expect(
      agent.respond(to: .requestIdentities, connection: &c)
        == .identitiesAnswer([AgentIdentity(keyBlob: k.publicKey.blob, comment: "k")]))
    let sign = AgentRequest.signRequest(AgentSignRequest(keyBlob: k.publicKey.blob, data: [9], flags: 0))
    guard case .signResponse(let sig) = agent.respond(to: sign, connection: &c) else {
      Issue.record("no signature")
      return
    }
    #expect(k.publicKey.verify(signature: sig, data: [9]))
    #expect(agent.respond(to: .removeIdentity(keyBlob: k.publicKey.blob), connection: &c) == .success)
    #expect(agent.respond(to: .removeIdentity(keyBlob: k.publicKey.blob), connection: &c) == .failure)
    #expect(agent.respond(to: sign, connection: &c) == .failure)
  }

  @Test func everyRefusalIsAFailureValueAndAKnownExtensionsIsAnExtensionFailure() {
    let agent = Agent(configuration: AgentConfiguration())
    var c = Self.connection()
    #expect(agent.respond(to: .unknown(200, []), connection: &c) == .failure)
    #expect(agent.respond(to: .extension(.other(name: "x@example.org", contents: [])), connection: &c) == .failure)
    #expect(agent.respond(to: .extension(.vaultLock), connection: &c) == .extensionFailure)
    #expect(agent.respond(to: .lock(passphrase: []), connection: &c) == .failure)
  }

  @Test func undecodableBodyIsAFailure() {
    let agent = Agent(configuration: AgentConfiguration())
    var c = Self.connection()
    #expect(agent.process([13, 0, 0], connection: &c) == .failure)
    #expect(agent.process([11], connection: &c) == .identitiesAnswer([]))
  }

  @Test func answerFramesTheReplyAndWipesASensitiveBody() {
    let agent = Agent(configuration: AgentConfiguration(lockKDF: Sodium.KDFParameters(opsLimit: 1, memLimit: 8192)))
    var c = Self.connection()
    var body = AgentRequest.lock(passphrase: Array("secret".utf8)).encode()
    let reply = agent.answer(frame: &body, connection: &c)
    #expect(reply == [0, 0, 0, 1, AgentMessageType.success.rawValue])
    #expect(body.allSatisfy { $0 == 0 })
    var list = AgentRequest.requestIdentities.encode()
    #expect(
      agent.answer(frame: &list, connection: &c) == [
        0, 0, 0, 5, AgentMessageType.identitiesAnswer.rawValue, 0, 0, 0, 0,
      ])
    #expect(list == [AgentMessageType.requestIdentities.rawValue])
  }

  @Test func framedResponsesDecodeToThemselves() {
    let responses: [AgentResponse] = [
      .success, .failure, .extensionFailure, .signResponse(signature: [1, 2, 3]),
      .identitiesAnswer([AgentIdentity(keyBlob: [1], comment: "a"), AgentIdentity(keyBlob: [2, 3], comment: "bé")]),
      .extensionResponse(.query(["a", "b"])),
    ]
    for r in responses {
      var decoder = FrameDecoder()
      decoder.append(AgentFraming.frame(r))
      let body = try? decoder.next()
      #expect(body.flatMap { try? AgentResponse.decode($0) } == r)
      #expect(decoder.bufferedCount == 0)
      #expect(AgentFraming.frame(r) == AgentFrame.frame(r.encode()))
    }
  }

  /// A host certificate for `hostname` signed by `ca`, valid from `after` to `before` (PROTOCOL.certkeys); the
  /// signature is filler: the destination check trusts the session-bind signature, not the certificate's.
  static func hostCertificate(ca: [UInt8], hostname: String, after: UInt64, before: UInt64) -> [UInt8] {
    var principals = SSHWriter()
    principals.writeString(hostname)
    var w = SSHWriter()
    w.writeString("ssh-ed25519-cert-v01@openssh.com")
    w.writeString([UInt8](repeating: 1, count: 32))  // nonce
    w.writeString([UInt8](repeating: 2, count: 32))  // the host's Ed25519 key
    w.writeUInt64(1)
    w.writeUInt32(PublicKeyBlob.Certificate.hostType)
    w.writeString("host")
    w.writeString(principals.bytes)
    w.writeUInt64(after)
    w.writeUInt64(before)
    w.writeString([UInt8]())
    w.writeString([UInt8]())
    w.writeString([UInt8]())
    w.writeString(ca)
    w.writeString([UInt8](repeating: 3, count: 16))
    return w.bytes
  }

  @Test func hostCertificateValidityIsJudgedOnTheInjectedWallClock() throws {
    let ca = try PrivateKey.generate(.ed25519, comment: "ca").publicKey.blob
    let cert = Self.hostCertificate(ca: ca, hostname: "h.example", after: 1000, before: 2000)
    let hop = DestinationHop(hostname: "h.example", hostKeys: [HostKeySpec(keyBlob: ca, isCA: true)])
    #expect(!DestinationPolicy.matches(cert, hop, wallTime: 999))
    #expect(DestinationPolicy.matches(cert, hop, wallTime: 1000))
    #expect(DestinationPolicy.matches(cert, hop, wallTime: 1999))
    #expect(!DestinationPolicy.matches(cert, hop, wallTime: 2000))
  }

  @Test func restrictedKeyListingUsesTheConfiguredWallClock() throws {
    let ca = try PrivateKey.generate(.ed25519, comment: "ca").publicKey.blob
    let cert = Self.hostCertificate(ca: ca, hostname: "h.example", after: 1000, before: 2000)
    let rule = DestinationConstraint(
      from: DestinationHop(hostname: "", hostKeys: []),
      to: DestinationHop(hostname: "h.example", hostKeys: [HostKeySpec(keyBlob: ca, isCA: true)]))
    let k = try PrivateKey.generate(.ed25519, comment: "restricted")
    let wall = ManualClock()  // starts at 1000
    let agent = Agent(configuration: AgentConfiguration(wallClock: wall), verifyHostSignature: { _, _, _ in true })
    var owner = Self.connection()
    #expect(agent.respond(to: try Self.add(k, [.restrictDestination([rule])]), connection: &owner) == .success)
    var c = Self.connection()
    let bind = SessionBind(hostKey: cert, sessionID: [7], signature: [0], isForwarding: false)
    #expect(agent.respond(to: .extension(.sessionBind(bind)), connection: &c) == .success)
    #expect(
      agent.respond(to: .requestIdentities, connection: &c)
        == .identitiesAnswer([AgentIdentity(keyBlob: k.publicKey.blob, comment: "restricted")]))
    wall.advance(1000)  // the certificate has expired
    #expect(agent.respond(to: .requestIdentities, connection: &c) == .identitiesAnswer([]))
  }
}

/// The connection loop over an in-memory stream: framing and dispatch without a socket.
@Suite struct AgentConnectionLoopTests {
  @Test func requestSentByteByByteIsAnswered() throws {
    let c = MemoryConnection(agent: Agent(configuration: AgentConfiguration()))
    for b in AgentFrame.frame(AgentRequest.requestIdentities.encode()) { try c.writeRaw([b]) }
    #expect(try c.readReply() == .identitiesAnswer([]))
  }

  @Test func coalescedRequestsAreAnsweredInOrder() throws {
    let c = MemoryConnection(agent: Agent(configuration: AgentConfiguration()))
    let list = AgentFrame.frame(AgentRequest.requestIdentities.encode())
    try c.writeRaw(list + AgentFrame.frame([99]) + list)
    #expect(try c.readReply() == .identitiesAnswer([]))
    #expect(try c.readReply() == .failure)
    #expect(try c.readReply() == .identitiesAnswer([]))
  }

  @Test func oversizedFrameEndsTheConnectionBeforeItsBody() throws {
    let c = MemoryConnection(agent: Agent(configuration: AgentConfiguration()))
    try c.writeRaw([0x00, 0x04, 0x00, 0x01])
    #expect(c.serverFinished())
    #expect(throws: AgentStreamError.self) { try c.readReply() }
  }
}

/// The log's escaping of client-controlled strings.
@Suite struct AgentLogEscapeTests {
  @Test(arguments: [
    ("plain text: 1 2 3", "plain text: 1 2 3"), ("a\nb", "a\\nb"), ("tab\there", "tab\\there"),
    ("back\\slash", "back\\\\slash"), ("esc\u{1b}[2K", "esc\\033[2K"), ("nul\u{0}", "nul\\000"),
    ("del\u{7f}", "del\\177"), ("é", "\\303\\251"), ("cr\r", "cr\\015"),
  ])
  func stringsAreEscapedLikeVis(_ input: String, _ expected: String) {
    #expect(AgentLogEscape.escape(input) == expected)
  }

  @Test func extensionNameWithNewlineAndEscapeCannotForgeALogLine() throws {
    let lines = Mutex<[String]>([])
    let agent = Agent(
      configuration: AgentConfiguration(
        log: { _, line in lines.withLock { $0.append(line) } }, logLevel: .debug))
    var c = AgentConnectionState(peerUID: 0, peerPID: 1, number: 7)
    let name = "x@example.org\nconnection 1: agent unlocked\u{1b}[1A\u{1b}[2K"
    #expect(agent.respond(to: .extension(.other(name: name, contents: [])), connection: &c) == .failure)
    let logged = lines.withLock { $0 }
    #expect(!logged.isEmpty)
    for line in logged {
      #expect(!line.contains("\n"))
      #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f })
      #expect(line.hasPrefix("connection 7: "))
    }
    #expect(logged.contains { $0.contains("x@example.org\\nconnection 1: agent unlocked\\033[1A\\033[2K") })
  }
}
