import SSHWire
import Testing

private func string(_ b: [UInt8]) -> [UInt8] {
  var w = SSHWriter()
  w.writeString(b)
  return w.bytes
}
private func string(_ s: String) -> [UInt8] { string(Array(s.utf8)) }
private func u32(_ v: UInt32) -> [UInt8] {
  var w = SSHWriter()
  w.writeUInt32(v)
  return w.bytes
}

/// An Ed25519 private key in agent wire form (fixed bytes; not a real key, SSHWire does not check).
private let ed25519Key: [UInt8] = string("ssh-ed25519") + string([UInt8](repeating: 1, count: 32))
  + string([UInt8](repeating: 2, count: 64))
private let rsaKey: [UInt8] = string("ssh-rsa") + string([0x00, 0xc1]) + string([1, 0, 1]) + string([5]) + string([6])
  + string([7]) + string([8])
private let hostKeyBlob = string("ssh-ed25519") + string([UInt8](repeating: 9, count: 32))

private func destinationConstraintBytes() -> [UInt8] {
  let fromHop = string("") + string("") + string("")
  let toHop = string("") + string("example.org") + string("") + string(hostKeyBlob) + [0]
  let one = string(string(fromHop) + string(toHop) + string(""))
  return [255] + string("restrict-destination-v00@openssh.com") + string(one)
}

/// Requests that must decode and re-encode to the same bytes.
private let canonicalRequests: [(String, [UInt8])] = [
  ("list", [11]),
  ("sign", [13] + string(hostKeyBlob) + string("data") + u32(4)),
  ("add", [17] + ed25519Key + string("me@host")),
  ("add rsa", [17] + rsaKey + string("")),
  ("add constrained", [25] + ed25519Key + string("c") + [1] + u32(60) + [2] + destinationConstraintBytes()),
  ("add constrained none", [25] + ed25519Key + string("c")),
  ("remove", [18] + string(hostKeyBlob)),
  ("remove all", [19]),
  ("remove all rsa", [9]),
  ("smartcard", [20] + string("/usr/lib/p11.so") + string("1234")),
  ("smartcard constrained", [26] + string("/usr/lib/p11.so") + string("1234") + [2]),
  ("smartcard remove", [21] + string("/usr/lib/p11.so") + string("")),
  ("lock", [22] + string("secret")),
  ("unlock", [23] + string("secret")),
  ("query", [27] + string("query")),
  ("session-bind", [27] + string("session-bind@openssh.com") + string(hostKeyBlob) + string("sid") + string("sig") + [1]),
  ("vault unlock", [27] + string("vault-unlock@keyhold") + string("pw") + u32(300)),
  ("vault lock", [27] + string("vault-lock@keyhold")),
  ("vault status", [27] + string("vault-status@keyhold")),
  ("other extension", [27] + string("x@example.org") + [1, 2, 3]),
  ("unknown", [200, 1, 2, 3]),
  ("answer sent to agent", [12, 0, 0, 0, 0]),
]

@Test(arguments: canonicalRequests.map(\.0))
func requestDecodesAndReencodesToTheSameBytes(_ name: String) throws {
  let bytes = canonicalRequests.first { $0.0 == name }!.1
  let request = try AgentRequest.decode(bytes)
  #expect(request.encode() == bytes)
}

@Test func signRequestFieldsAreDecoded() throws {
  let req = try AgentRequest.decode([13] + string(hostKeyBlob) + string("data") + u32(4))
  #expect(req == .signRequest(AgentSignRequest(keyBlob: hostKeyBlob, data: Array("data".utf8), flags: 4)))
  #expect(req.description == "SSH2_AGENTC_SIGN_REQUEST")
}

@Test func constrainedAddCarriesEveryConstraint() throws {
  let req = try AgentRequest.decode(
    [25] + ed25519Key + string("c") + [1] + u32(60) + [2] + destinationConstraintBytes())
  guard case .addIDConstrained(let add) = req else {
    Issue.record("not an add")
    return
  }
  #expect(add.key.keyType == "ssh-ed25519")
  #expect(add.key.bytes == ed25519Key)
  #expect(add.comment == "c")
  let to = DestinationHop(hostname: "example.org", hostKeys: [HostKeySpec(keyBlob: hostKeyBlob, isCA: false)])
  #expect(
    add.constraints == [
      .lifetime(seconds: 60), .confirm,
      .restrictDestination([DestinationConstraint(from: DestinationHop(hostname: "", hostKeys: []), to: to)]),
    ])
}

/// Malformed messages, each with the typed error it must give.
private let malformed: [(String, [UInt8], AgentProtocolError)] = [
  ("empty", [], .emptyMessage),
  ("sign truncated", [13] + string(hostKeyBlob) + [0, 0], .malformed(.truncated(needed: 4, available: 2))),
  ("list with trailing byte", [11, 0], .malformed(.trailingBytes(1))),
  ("add without comment", [17] + ed25519Key, .malformed(.truncated(needed: 4, available: 0))),
  ("add with constraint on 17", [17] + ed25519Key + string("") + [2], .malformed(.trailingBytes(1))),
  ("add unknown key type", [17] + string("ssh-foo") + string(""), .unknownKeyType("ssh-foo")),
  ("unknown constraint", [25] + ed25519Key + string("") + [7], .unknownConstraint(7)),
  ("duplicate confirm", [25] + ed25519Key + string("") + [2, 2], .duplicateConstraint("confirm")),
  ("duplicate lifetime", [25] + ed25519Key + string("") + [1] + u32(1) + [1] + u32(2), .duplicateConstraint("lifetime")),
  ("lifetime truncated", [25] + ed25519Key + string("") + [1, 0, 0], .malformed(.truncated(needed: 4, available: 2))),
  (
    "unknown constraint extension", [25] + ed25519Key + string("") + [255] + string("x@y") + [1],
    .unknownConstraintExtension("x@y")
  ),
  (
    "destination without to-host",
    [25] + ed25519Key + string("") + [255] + string("restrict-destination-v00@openssh.com")
      + string(string(string(string("") + string("") + string("")) + string(string("") + string("") + string("")) + string(""))),
    .invalidDestinationConstraint("to-hostname and to-hostkeys are required")
  ),
  ("bad comment utf8", [17] + ed25519Key + string([0xff]), .malformed(.invalidUTF8)),
  ("lock without passphrase", [22], .malformed(.truncated(needed: 4, available: 0))),
  ("extension without name", [27], .malformed(.truncated(needed: 4, available: 0))),
  (
    "session-bind bad bool",
    [27] + string("session-bind@openssh.com") + string(hostKeyBlob) + string("s") + string("g") + [2],
    .malformed(.invalidBool(2))
  ),
  ("vault unlock without timeout", [27] + string("vault-unlock@keyhold") + string("pw"), .malformed(.truncated(needed: 4, available: 0))),
  ("remove with huge length", [18, 0xff, 0xff, 0xff, 0xff], .malformed(.truncated(needed: 0xffff_ffff, available: 0))),
]

@Test(arguments: malformed.map(\.0))
func malformedRequestGivesItsTypedError(_ name: String) {
  let (_, bytes, expected) = malformed.first { $0.0 == name }!
  #expect(throws: expected) { try AgentRequest.decode(bytes) }
}

@Test func responsesRoundTrip() throws {
  let responses: [AgentResponse] = [
    .failure, .success, .extensionFailure,
    .identitiesAnswer([AgentIdentity(keyBlob: hostKeyBlob, comment: "a"), AgentIdentity(keyBlob: [1], comment: "")]),
    .identitiesAnswer([]),
    .signResponse(signature: [1, 2, 3]),
    .extensionResponse(.query(["session-bind@openssh.com", "query"])),
    .extensionResponse(.vaultStatus(AgentVaultStatus(state: .open, keyCount: 3, secondsLeft: 60, agentLocked: false))),
    .extensionResponse(.other(name: "x@y", contents: [9])),
    .unknown(99, [1]),
  ]
  for r in responses {
    let bytes = r.encode()
    let back = try AgentResponse.decode(bytes)
    #expect(back == r)
    #expect(back.encode() == bytes)
  }
}

@Test func identitiesAnswerWithAnImpossibleCountIsRefused() {
  #expect(throws: AgentProtocolError.invalidField("identity count 4294967295 exceeds message")) {
    try AgentResponse.decode([12, 0xff, 0xff, 0xff, 0xff])
  }
}

@Test func messageTypesPrintAsSpecNames() {
  #expect(AgentMessageType.signRequest.description == "SSH2_AGENTC_SIGN_REQUEST")
  #expect(AgentMessageType.name(of: 9) == "SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES")
  #expect(AgentMessageType.name(of: 250) == "UNKNOWN(250)")
  #expect(AgentMessageType.addIDConstrained.rawValue == 25)
  #expect(AgentMessageType.extensionResponse.rawValue == 29)
}

@Test func certificateKeyKeepsItsCertificateAndEveryByte() throws {
  let pk = [UInt8](repeating: 3, count: 32)
  let cert = string("ssh-ed25519-cert-v01@openssh.com") + string("nonce") + string(pk) + [0, 0, 0, 0]
  let wire = string("ssh-ed25519-cert-v01@openssh.com") + string(cert) + string(pk) + string([UInt8](repeating: 4, count: 64))
  let key = try AgentPrivateKeyWire.decode(wire)
  #expect(key.certificate == cert)
  #expect(key.bytes == wire)
}

@Test func userAuthRequestIsRecognised() {
  let data = string("sid") + [50] + string("root") + string("ssh-connection")
    + string("publickey-hostbound-v00@openssh.com") + [1] + string("ssh-ed25519") + string(hostKeyBlob)
    + string(hostKeyBlob)
  let req = UserAuthRequest.parse(data)
  #expect(req?.user == "root")
  #expect(req?.hostKey == hostKeyBlob)
  #expect(UserAuthRequest.parse(data + [0]) == nil)
  #expect(UserAuthRequest.parse(Array("SSHSIG".utf8)) == nil)
}
