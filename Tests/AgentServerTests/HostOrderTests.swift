import Foundation
import KeyholdCrypto
import SSHKeys
import SSHWire
import Synchronization
import Testing

@testable import AgentServer

/// A host directory in memory: the index the test sets, and every use the agent records.
final class RecordingHosts: HostDirectory, @unchecked Sendable {
  private let state = Mutex((index: HostKeyIndex.empty, uses: [HostUse]()))

  /// Replaces the mapping (host key fingerprint → key fingerprints) and bumps the generation.
  func set(_ keysByHost: [String: Set<String>]) {
    state.withLock { s in s.index = HostKeyIndex(generation: s.index.generation + 1, keysByHost: keysByHost) }
  }

  var uses: [HostUse] { state.withLock { $0.uses } }

  func index() -> HostKeyIndex { state.withLock { $0.index } }

  func record(_ use: HostUse) { state.withLock { $0.uses.append(use) } }
}

/// Keys and host keys for ordering tests, with the agent and a connection speaking to it in memory.
struct HostOrderFixture {
  let keys: [PrivateKey]
  let hostA: [UInt8]
  let hostB: [UInt8]
  let hostC: [UInt8]
  let hosts = RecordingHosts()
  let wall = ManualClock()

  init(keys count: Int = 5) throws {
    keys = try (0..<count).map { try PrivateKey.generate(.ed25519, comment: "k\($0)") }
    hostA = try PrivateKey.generate(.ed25519, comment: "a").publicKey.blob
    hostB = try PrivateKey.generate(.ed25519, comment: "b").publicKey.blob
    hostC = try PrivateKey.generate(.ecdsaP256, comment: "c").publicKey.blob
  }

  static func fingerprint(_ blob: [UInt8]) throws -> String { try PublicKey(blob: blob).sha256Fingerprint }
  func fp(_ i: Int) -> String { keys[i].publicKey.sha256Fingerprint }

  func agent(
    hide: Bool = false, learn: Bool = true, source: (any AgentKeySource)? = nil,
    confirm: (@Sendable (String) -> Bool)? = nil
  ) -> Agent {
    var configuration = AgentConfiguration(confirm: confirm, wallClock: wall)
    configuration.hosts = hosts
    configuration.hideOtherHosts = hide
    configuration.learnHosts = learn
    configuration.vaultCheckInterval = 0
    return Agent(configuration: configuration, source: source, verifyHostSignature: { _, _, _ in true })
  }

  static func add(_ key: PrivateKey, _ constraints: [AgentConstraint] = []) throws -> AgentRequest {
    let wire = try AgentPrivateKeyWire.decode(key.encodeWire().unsafeCopy())
    return .addIDConstrained(AgentAddIdentity(key: wire, comment: key.comment, constraints: constraints))
  }

  static func bind(_ host: [UInt8], session: [UInt8], forwarding: Bool = false) -> AgentRequest {
    .extension(.sessionBind(SessionBind(hostKey: host, sessionID: session, signature: [0], isForwarding: forwarding)))
  }

  /// The comments listed on `c`, read through the connection loop (the framed, cached path).
  static func listed(_ c: MemoryConnection) throws -> [String] {
    guard case .identitiesAnswer(let ids) = try c.call(.requestIdentities) else { return ["<not a listing>"] }
    return ids.map(\.comment)
  }

  /// A user-authentication request (RFC 4252 §7) for `session` signed with `key`; hostbound when `hostKey` is set.
  static func userauth(_ session: [UInt8], _ key: [UInt8], user: String = "root", hostKey: [UInt8]? = nil) -> [UInt8] {
    var w = SSHWriter()
    w.writeString(session)
    w.writeByte(50)
    w.writeString(user)
    w.writeString("ssh-connection")
    w.writeString(hostKey == nil ? "publickey" : "publickey-hostbound-v00@openssh.com")
    w.writeBool(true)
    w.writeString("ssh-ed25519")
    w.writeString(key)
    if let hostKey { w.writeString(hostKey) }
    return w.bytes
  }

  static func sign(_ key: PrivateKey, _ data: [UInt8]) -> AgentRequest {
    .signRequest(AgentSignRequest(keyBlob: key.publicKey.blob, data: data, flags: 0))
  }
}

/// Bound connections list the keys that open their server first (keyhold-agent(1), KEY ORDER).
@Suite struct HostOrderTests {
  /// k3 and k4 open host A, k1 and k4 open host B; k0 and k2 open no known host.
  static func fixture() throws -> (HostOrderFixture, Agent, MemoryConnection) {
    let f = try HostOrderFixture()
    let a = try HostOrderFixture.fingerprint(f.hostA)
    let b = try HostOrderFixture.fingerprint(f.hostB)
    f.hosts.set([a: [f.fp(3), f.fp(4)], b: [f.fp(1), f.fp(4)]])
    let agent = f.agent()
    let owner = MemoryConnection(agent: agent)
    for k in f.keys { #expect(try owner.call(HostOrderFixture.add(k)) == .success) }
    return (f, agent, owner)
  }

  @Test func boundConnectionListsTheHostsKeysThenUnknownKeysThenOtherHostsKeys() throws {
    let (f, agent, _) = try Self.fixture()
    let c = MemoryConnection(agent: agent)
    #expect(try c.call(HostOrderFixture.bind(f.hostA, session: [1])) == .success)
    #expect(try HostOrderFixture.listed(c) == ["k3", "k4", "k0", "k2", "k1"])
    #expect(try HostOrderFixture.listed(c) == ["k3", "k4", "k0", "k2", "k1"])  // from the cached reply
    // The dispatcher's value answers in the same order as the framed reply.
    var state = AgentConnectionState(peerUID: 0, peerPID: 1, number: 9)
    _ = agent.respond(to: HostOrderFixture.bind(f.hostB, session: [2]), connection: &state)
    guard case .identitiesAnswer(let ids) = agent.respond(to: .requestIdentities, connection: &state) else {
      Issue.record("no listing")
      return
    }
    #expect(ids.map(\.comment) == ["k1", "k4", "k0", "k2", "k3"])
    let b = MemoryConnection(agent: agent)
    _ = try b.call(HostOrderFixture.bind(f.hostB, session: [3]))
    #expect(try HostOrderFixture.listed(b) == ["k1", "k4", "k0", "k2", "k3"])
  }

  @Test func unboundConnectionSeesThePlainList() throws {
    let (_, agent, owner) = try Self.fixture()
    #expect(try HostOrderFixture.listed(owner) == ["k0", "k1", "k2", "k3", "k4"])
    var state = AgentConnectionState(peerUID: 0, peerPID: 1, number: 9)
    #expect(agent.respond(to: .requestIdentities, connection: &state) == (try owner.call(.requestIdentities)))
  }

  @Test func connectionBoundToAnUnknownHostListsUnknownKeysFirst() throws {
    let (f, agent, _) = try Self.fixture()
    let c = MemoryConnection(agent: agent)
    _ = try c.call(HostOrderFixture.bind(f.hostC, session: [1]))
    #expect(try HostOrderFixture.listed(c) == ["k0", "k2", "k1", "k3", "k4"])
  }

  @Test func forwardedConnectionIsOrderedForTheLastHop() throws {
    let (f, agent, _) = try Self.fixture()
    let c = MemoryConnection(agent: agent)
    #expect(try c.call(HostOrderFixture.bind(f.hostB, session: [1], forwarding: true)) == .success)
    #expect(try HostOrderFixture.listed(c) == ["k1", "k4", "k0", "k2", "k3"])
    #expect(try c.call(HostOrderFixture.bind(f.hostA, session: [2])) == .success)
    #expect(try HostOrderFixture.listed(c) == ["k3", "k4", "k0", "k2", "k1"])
  }

  @Test func hideOtherHostsLeavesOutKeysKnownOnlyForOtherHosts() throws {
    let f = try HostOrderFixture()
    let a = try HostOrderFixture.fingerprint(f.hostA)
    let b = try HostOrderFixture.fingerprint(f.hostB)
    f.hosts.set([a: [f.fp(3), f.fp(4)], b: [f.fp(1), f.fp(4)]])
    let agent = f.agent(hide: true)
    let owner = MemoryConnection(agent: agent)
    for k in f.keys { _ = try owner.call(HostOrderFixture.add(k)) }
    let c = MemoryConnection(agent: agent)
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [1]))
    #expect(try HostOrderFixture.listed(c) == ["k3", "k4", "k0", "k2"])
    let unknown = MemoryConnection(agent: agent)
    _ = try unknown.call(HostOrderFixture.bind(f.hostC, session: [2]))
    #expect(try HostOrderFixture.listed(unknown) == ["k0", "k2"])
    var state = AgentConnectionState(peerUID: 0, peerPID: 1, number: 9)
    _ = agent.respond(to: HostOrderFixture.bind(f.hostB, session: [3]), connection: &state)
    #expect(
      agent.respond(to: .requestIdentities, connection: &state)
        == .identitiesAnswer([1, 4, 0, 2].map { AgentIdentity(keyBlob: f.keys[$0].publicKey.blob, comment: "k\($0)") }))
    #expect(try HostOrderFixture.listed(owner) == ["k0", "k1", "k2", "k3", "k4"])  // unbound: everything
  }

  @Test func restrictedKeysKeepTheirVisibilityFilterAndAreOrdered() throws {
    let (f, agent, owner) = try Self.fixture()
    let r = try PrivateKey.generate(.ed25519, comment: "r")
    let rule = DestinationConstraint(
      from: DestinationHop(hostname: "", hostKeys: []),
      to: DestinationHop(hostname: "a.example", hostKeys: [HostKeySpec(keyBlob: f.hostA, isCA: false)]))
    #expect(try owner.call(HostOrderFixture.add(r, [.restrictDestination([rule])])) == .success)
    let a = try HostOrderFixture.fingerprint(f.hostA)
    let b = try HostOrderFixture.fingerprint(f.hostB)
    f.hosts.set([a: [r.publicKey.sha256Fingerprint, f.fp(3)], b: [f.fp(1)]])
    let toA = MemoryConnection(agent: agent)
    _ = try toA.call(HostOrderFixture.bind(f.hostA, session: [1]))
    #expect(try HostOrderFixture.listed(toA) == ["k3", "r", "k0", "k2", "k4", "k1"])
    let toB = MemoryConnection(agent: agent)
    _ = try toB.call(HostOrderFixture.bind(f.hostB, session: [2]))
    #expect(try HostOrderFixture.listed(toB) == ["k1", "k0", "k2", "k4", "k3"])
    #expect(try HostOrderFixture.listed(owner) == ["k0", "k1", "k2", "k3", "k4", "r"])
  }

  @Test func aNewIndexGenerationOrAKeyringChangeIsListedAtOnce() throws {
    let (f, agent, owner) = try Self.fixture()
    let c = MemoryConnection(agent: agent)
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [1]))
    #expect(try HostOrderFixture.listed(c) == ["k3", "k4", "k0", "k2", "k1"])
    let a = try HostOrderFixture.fingerprint(f.hostA)
    f.hosts.set([a: [f.fp(2)]])
    #expect(try HostOrderFixture.listed(c) == ["k2", "k0", "k1", "k3", "k4"])
    let late = try PrivateKey.generate(.ed25519, comment: "late")
    _ = try owner.call(HostOrderFixture.add(late))
    #expect(try HostOrderFixture.listed(c) == ["k2", "k0", "k1", "k3", "k4", "late"])
    _ = try owner.call(.removeIdentity(keyBlob: f.keys[2].publicKey.blob))
    #expect(try HostOrderFixture.listed(c) == ["k0", "k1", "k3", "k4", "late"])
    f.hosts.set([:])  // nothing known: the plain order
    #expect(try HostOrderFixture.listed(c) == ["k0", "k1", "k3", "k4", "late"])
    #expect(try HostOrderFixture.listed(owner) == ["k0", "k1", "k3", "k4", "late"])
  }

  @Test func manyHostsEachGetTheirOwnOrderPastTheCachedReplies() throws {
    let f = try HostOrderFixture(keys: 40)
    let hostKeys = try (0..<40).map { _ in try PrivateKey.generate(.ed25519, comment: "h").publicKey.blob }
    var map: [String: Set<String>] = [:]
    for (i, h) in hostKeys.enumerated() { map[try HostOrderFixture.fingerprint(h)] = [f.fp(i)] }
    f.hosts.set(map)
    let agent = f.agent()
    let owner = MemoryConnection(agent: agent)
    for k in f.keys { _ = try owner.call(HostOrderFixture.add(k)) }
    for round in 0..<2 {
      for (i, h) in hostKeys.enumerated() {
        let c = MemoryConnection(agent: agent)
        _ = try c.call(HostOrderFixture.bind(h, session: [UInt8(i), UInt8(round)]))
        let listed = try HostOrderFixture.listed(c)
        #expect(listed.count == 40)
        #expect(listed.first == "k\(i)")
        #expect(Array(listed.dropFirst()) == (0..<40).filter { $0 != i }.map { "k\($0)" })
      }
    }
  }

  @Test func vaultKeysAreOrderedSealedAndOpen() throws {
    let f = try HostOrderFixture(keys: 3)
    let source = MemoryKeySource(keys: f.keys)
    let a = try HostOrderFixture.fingerprint(f.hostA)
    f.hosts.set([a: [f.fp(2)]])
    let agent = f.agent(source: source)
    let c = MemoryConnection(agent: agent)
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [1]))
    #expect(try HostOrderFixture.listed(c) == ["k2", "k0", "k1"])  // sealed: the public halves
    let owner = MemoryConnection(agent: agent)
    #expect(try owner.call(.unlock(passphrase: Array("vault-pass".utf8))) == .success)
    #expect(try HostOrderFixture.listed(c) == ["k2", "k0", "k1"])
    #expect(try HostOrderFixture.listed(owner) == ["k0", "k1", "k2"])
  }

  @Test func layoutRepliesEqualTheOrderedValues() throws {
    let f = try HostOrderFixture(keys: 12)
    let hostFP = try HostOrderFixture.fingerprint(f.hostA)
    let index = HostKeyIndex(
      generation: 1, keysByHost: [hostFP: [f.fp(5), f.fp(0), f.fp(11)], "SHA256:other": [f.fp(3), f.fp(5), f.fp(7)]])
    let entries = f.keys.map {
      ListedKey(
        identity: AgentIdentity(keyBlob: $0.publicKey.blob, comment: $0.comment), key: nil,
        fingerprint: $0.publicKey.sha256Fingerprint)
    }
    for hide in [false, true] {
      let ordering = HostOrdering(index: index, host: hostFP, hideOthers: hide)
      let layout = HostLayout(entries, index: index, hideOthers: hide, version: 1)
      let expected = AgentFraming.frame(.identitiesAnswer(ordering.order(entries).map(\.identity)))
      #expect(layout.reply(hostKeys: ordering.hostKeys) == expected)
      #expect(
        layout.reply(hostKeys: [])
          == AgentFraming.frame(
            .identitiesAnswer(
              HostOrdering(
                index: index, host: "SHA256:none", hideOthers: hide
              ).order(entries).map(\.identity))))
    }
  }
}

/// What the agent learns: only user-authentication signatures for the session a connection was last bound to.
@Suite struct HostLearningTests {
  static func setup(learn: Bool = true, confirm: (@Sendable (String) -> Bool)? = nil) throws
    -> (HostOrderFixture, MemoryConnection)
  {
    let f = try HostOrderFixture(keys: 2)
    let agent = f.agent(learn: learn, confirm: confirm)
    let owner = MemoryConnection(agent: agent)
    #expect(try owner.call(HostOrderFixture.add(f.keys[0])) == .success)
    #expect(try owner.call(HostOrderFixture.add(f.keys[1], confirm == nil ? [] : [.confirm])) == .success)
    return (f, MemoryConnection(agent: agent))
  }

  static func signed(_ response: AgentResponse) -> Bool {
    if case .signResponse = response { return true }
    return false
  }

  @Test func userAuthenticationSignatureRecordsTheBoundHost() throws {
    let (f, c) = try Self.setup()
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [7, 7]))
    let k = f.keys[0]
    #expect(Self.signed(try c.call(HostOrderFixture.sign(k, HostOrderFixture.userauth([7, 7], k.publicKey.blob)))))
    let expected = HostUse(
      hostKey: try HostOrderFixture.fingerprint(f.hostA), hostKeyBlob: f.hostA, key: f.fp(0), keyComment: "k0",
      user: "root", wallTime: f.wall.now())
    #expect(f.hosts.uses == [expected])
    // The hostbound method names the bound host key: recorded too.
    let hostbound = HostOrderFixture.userauth([7, 7], k.publicKey.blob, user: "git", hostKey: f.hostA)
    #expect(Self.signed(try c.call(HostOrderFixture.sign(k, hostbound))))
    #expect(f.hosts.uses.map(\.user) == ["root", "git"])
  }

  @Test func forwardedConnectionRecordsTheLastHop() throws {
    let (f, c) = try Self.setup()
    _ = try c.call(HostOrderFixture.bind(f.hostB, session: [1], forwarding: true))
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [2]))
    let k = f.keys[1]
    let data = HostOrderFixture.userauth([2], k.publicKey.blob, hostKey: f.hostA)
    #expect(Self.signed(try c.call(HostOrderFixture.sign(k, data))))
    #expect(f.hosts.uses.map(\.hostKeyBlob) == [f.hostA])
    #expect(f.hosts.uses.map(\.key) == [f.fp(1)])
  }

  @Test func nothingButAUserAuthenticationForTheLastBoundSessionIsRecorded() throws {
    let (f, c) = try Self.setup()
    let k = f.keys[0]
    let blob = k.publicKey.blob
    // Unbound: a well-formed userauth request is signed, and not recorded.
    #expect(Self.signed(try c.call(HostOrderFixture.sign(k, HostOrderFixture.userauth([7], blob)))))
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [7]))
    var sshsig = Array("SSHSIG".utf8)  // ssh-keygen -Y sign (PROTOCOL.sshsig)
    sshsig += [0, 0, 0, 1, 0, 0, 0, 4] + Array("file".utf8) + [0, 0, 0, 0, 0, 0, 0, 6] + Array("sha512".utf8)
    sshsig += [0, 0, 0, 64] + [UInt8](repeating: 0xab, count: 64)
    let refused: [[UInt8]] = [
      sshsig,
      [1, 2, 3],
      HostOrderFixture.userauth([8], blob),  // another session
      HostOrderFixture.userauth([7], f.keys[1].publicKey.blob),  // names another key
      HostOrderFixture.userauth([7], blob, hostKey: f.hostB),  // another host key
    ]
    for data in refused { #expect(Self.signed(try c.call(HostOrderFixture.sign(k, data)))) }
    #expect(f.hosts.uses.isEmpty)
    // A session bound for forwarding is not authenticated through this connection.
    let forwarding = MemoryConnection(agent: f.agent())
    _ = try forwarding.call(HostOrderFixture.add(k))
    _ = try forwarding.call(HostOrderFixture.bind(f.hostA, session: [9], forwarding: true))
    _ = try forwarding.call(HostOrderFixture.sign(k, HostOrderFixture.userauth([9], blob)))
    #expect(f.hosts.uses.isEmpty)
  }

  @Test func refusedSignatureIsNotRecorded() throws {
    let (f, c) = try Self.setup(confirm: { _ in false })
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [7]))
    let k = f.keys[1]  // confirm-constrained; the user says no
    #expect(try c.call(HostOrderFixture.sign(k, HostOrderFixture.userauth([7], k.publicKey.blob))) == .failure)
    #expect(f.hosts.uses.isEmpty)
  }

  @Test func noLearnRecordsNothing() throws {
    let (f, c) = try Self.setup(learn: false)
    _ = try c.call(HostOrderFixture.bind(f.hostA, session: [7]))
    let k = f.keys[0]
    #expect(Self.signed(try c.call(HostOrderFixture.sign(k, HostOrderFixture.userauth([7], k.publicKey.blob)))))
    #expect(f.hosts.uses.isEmpty)
  }
}

/// Framed listings come from bytes framed once while nothing they depend on changes.
@Suite struct ListingRepliesTests {
  static func storage(_ bytes: [UInt8]) -> UnsafeRawPointer? {
    bytes.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
  }

  @Test func unchangedListingIsWrittenFromTheBytesFramedForTheFirstRequest() throws {
    let (f, agent, _) = try HostOrderTests.fixture()
    var plain = AgentConnectionState(peerUID: 0, peerPID: 1, number: 7)
    var body = [AgentMessageType.requestIdentities.rawValue]
    let first = agent.answer(frame: &body, connection: &plain)
    let second = agent.answer(frame: &body, connection: &plain)
    #expect(first == AgentFraming.frame(agent.respond(to: .requestIdentities, connection: &plain)))
    #expect(Self.storage(first) == Self.storage(second))
    var bound = AgentConnectionState(peerUID: 0, peerPID: 1, number: 8)
    _ = agent.respond(to: HostOrderFixture.bind(f.hostA, session: [1]), connection: &bound)
    let boundFirst = agent.answer(frame: &body, connection: &bound)
    #expect(boundFirst == AgentFraming.frame(agent.respond(to: .requestIdentities, connection: &bound)))
    #expect(Self.storage(boundFirst) == Self.storage(agent.answer(frame: &body, connection: &bound)))
    // A change is framed anew, for both.
    _ = agent.respond(to: .removeIdentity(keyBlob: f.keys[0].publicKey.blob), connection: &plain)
    let after = agent.answer(frame: &body, connection: &plain)
    #expect(after != first)
    #expect(after == AgentFraming.frame(agent.respond(to: .requestIdentities, connection: &plain)))
    #expect(
      agent.answer(frame: &body, connection: &bound)
        == AgentFraming.frame(agent.respond(to: .requestIdentities, connection: &bound)))
  }

  @Test func lockedAgentListsNothingOnEveryConnection() throws {
    let (f, _, _) = try HostOrderTests.fixture()
    var configuration = AgentConfiguration(lockKDF: Sodium.KDFParameters(opsLimit: 1, memLimit: 8192))
    configuration.hosts = f.hosts
    let agent = Agent(configuration: configuration, verifyHostSignature: { _, _, _ in true })
    var owner = AgentConnectionState(peerUID: 0, peerPID: 1, number: 1)
    _ = agent.respond(to: try HostOrderFixture.add(f.keys[3]), connection: &owner)
    var bound = AgentConnectionState(peerUID: 0, peerPID: 1, number: 2)
    _ = agent.respond(to: HostOrderFixture.bind(f.hostA, session: [1]), connection: &bound)
    var body = [AgentMessageType.requestIdentities.rawValue]
    #expect(agent.answer(frame: &body, connection: &bound).count > 9)
    #expect(agent.respond(to: .lock(passphrase: Array("pw".utf8)), connection: &owner) == .success)
    let empty: [UInt8] = [0, 0, 0, 5, AgentMessageType.identitiesAnswer.rawValue, 0, 0, 0, 0]
    #expect(agent.answer(frame: &body, connection: &bound) == empty)
    #expect(agent.answer(frame: &body, connection: &owner) == empty)
  }
}

/// What learning writes to the log: nothing at the default level; one escaped line at debug level.
@Suite struct HostLearningLogTests {
  final class Lines: @unchecked Sendable {
    let lines = Mutex([String]())
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
  }

  @Test(arguments: [AgentLogLevel.info, AgentLogLevel.debug])
  func learnedUseIsLoggedOnlyAtDebugLevelAndEscaped(level: AgentLogLevel) throws {
    let f = try HostOrderFixture(keys: 1)
    let lines = Lines()
    var configuration = AgentConfiguration(log: { _, line in lines.add(line) }, logLevel: level, wallClock: f.wall)
    configuration.hosts = f.hosts
    let agent = Agent(configuration: configuration, verifyHostSignature: { _, _, _ in true })
    var c = AgentConnectionState(peerUID: 0, peerPID: 1, number: 1)
    let k = f.keys[0]
    _ = agent.respond(to: try HostOrderFixture.add(k), connection: &c)
    _ = agent.respond(to: HostOrderFixture.bind(f.hostA, session: [5]), connection: &c)
    let data = HostOrderFixture.userauth([5], k.publicKey.blob, user: "eve\nforged")
    guard case .signResponse = agent.respond(to: HostOrderFixture.sign(k, data), connection: &c) else {
      Issue.record("not signed")
      return
    }
    #expect(f.hosts.uses.map(\.user) == ["eve\nforged"])
    let host = try HostOrderFixture.fingerprint(f.hostA)
    let learned = lines.all.filter { $0.contains(host) }
    if level == .info {
      #expect(learned.isEmpty)
    } else {
      #expect(learned.count == 1)
      #expect(learned.first?.contains("eve\\nforged") == true)
      #expect(!lines.all.contains { $0.contains("\n") })
    }
  }
}
