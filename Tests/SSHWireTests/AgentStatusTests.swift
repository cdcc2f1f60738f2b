import SSHWire
import Testing

/// The `status@keyhold` reply codec (keyhold-agent(1), "EXTENSIONS"): what `keyhold status` reads from whatever
/// answers on SSH_AUTH_SOCK.
@Suite struct AgentStatusCodecTests {
  static let sample = AgentStatus(
    locked: false, vault: .open, vaultSeconds: 0x0102_0304_0506_0708, secondsLeft: 3600, addedKeys: 2, vaultKeys: 5,
    listedVaultKeys: 4, socketPath: "/run/user/1000/keyhold/agent.socket", pid: 4242, sealedNote: "")

  @Test func fieldsAddedLaterAreIgnoredByThisReader() {
    var status = Self.sample
    status.log = SignatureLogState(path: "/home/u/.local/state/keyhold/signatures.log", written: 7, lost: 0, error: "")
    let bytes = status.encode()
    #expect(AgentStatus.decode(bytes) == status)
    #expect(AgentStatus.decode(bytes + [0, 0, 0, 3, 0x61, 0x62, 0x63]) == status)
  }

  @Test func aReplyEndingBeforeTheLogFieldsHasNoLogState() {
    #expect(AgentStatus.decode(Self.sample.encode()) == Self.sample)
    #expect(AgentStatus.decode(Self.sample.encode())?.log == nil)
  }

  @Test func everyTruncationIsRefused() {
    let bytes = Self.sample.encode()
    for n in 0..<bytes.count {
      #expect(AgentStatus.decode(Array(bytes.prefix(n))) == nil, "decoded \(n) of \(bytes.count) bytes")
    }
  }

  @Test func anUnknownVaultStateOrANonCanonicalBoolIsRefused() {
    var badState = Self.sample.encode()
    badState[1] = 3
    #expect(AgentStatus.decode(badState) == nil)
    var badBool = Self.sample.encode()
    badBool[0] = 2
    #expect(AgentStatus.decode(badBool) == nil)
  }

  @Test func aSocketPathThatIsNotUTF8IsRefused() {
    var status = Self.sample
    status.socketPath = "x"
    var bytes = status.encode()
    // Layout: bool, byte, uint64, four uint32s, then the path's uint32 length and its one byte.
    let pathByte = 1 + 1 + 8 + 4 * 4 + 4
    #expect(bytes[pathByte] == UInt8(ascii: "x"))
    bytes[pathByte] = 0xff
    #expect(AgentStatus.decode(bytes) == nil)
  }
}
