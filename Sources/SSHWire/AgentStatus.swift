/// The agent's state as the `status@keyhold` extension reports it (keyhold-agent(1), "EXTENSIONS").
///
/// The reply's contents, after `string "status@keyhold"`: `bool agent locked`, `byte vault state` (0 none, 1 sealed,
/// 2 open), `uint64 seconds in that state`, `uint32 seconds until the vault seals itself` (0: no timeout),
/// `uint32 keys added by clients`, `uint32 keys in the vault`, `uint32 vault keys listed`, `string socket path`
/// (empty when unknown), `uint32 agent pid`, `string why sealed keys are not listed` (empty when they are), then,
/// when the agent keeps a signature log, `string log path`, `uint64 records written`, `uint64 records lost`,
/// `string why writing fails` (empty while it works); an agent that keeps none (`--no-log`) ends the reply before
/// them. Fields added later go at the end; readers ignore what follows the ones they know, and a reply that ends
/// before the log fields (an older agent) has no log state.
///
/// The codec is pure wire format, so it lives beside the other agent messages: `keyhold status` and the fuzzer
/// (Sources/FuzzDecoders) decode a reply from whatever answers on SSH_AUTH_SOCK without the server.
public struct AgentStatus: Sendable, Equatable {
  /// The extension's name.
  public static let extensionName = "status@keyhold"

  /// True when the agent itself is locked (SSH_AGENTC_LOCK).
  public var locked: Bool
  /// Whether the agent has a vault, and whether it is open.
  public var vault: AgentVaultStatus.State
  /// Seconds since the vault was last opened or sealed (since the agent started, when it never was).
  public var vaultSeconds: UInt64
  /// Seconds until an open vault seals itself; 0 when it has no timeout.
  public var secondsLeft: UInt32
  /// Keys added by clients (ssh-add).
  public var addedKeys: UInt32
  /// Keys the vault holds (its public half while sealed, its opened keys while open).
  public var vaultKeys: UInt32
  /// Vault keys a listing shows now.
  public var listedVaultKeys: UInt32
  /// The socket the agent listens on; empty when it does not know (a socket handed over by systemd).
  public var socketPath: String
  /// The agent's process id.
  public var pid: UInt32
  /// Why a sealed vault's keys are left out of listings; empty when they are listed.
  public var sealedNote: String
  /// The signature log's health; nil when the agent keeps no log (`--no-log`) or did not say.
  public var log: SignatureLogState? = nil

  /// Creates a status.
  public init(
    locked: Bool, vault: AgentVaultStatus.State, vaultSeconds: UInt64, secondsLeft: UInt32, addedKeys: UInt32,
    vaultKeys: UInt32, listedVaultKeys: UInt32, socketPath: String, pid: UInt32, sealedNote: String
  ) {
    self.locked = locked
    self.vault = vault
    self.vaultSeconds = vaultSeconds
    self.secondsLeft = secondsLeft
    self.addedKeys = addedKeys
    self.vaultKeys = vaultKeys
    self.listedVaultKeys = listedVaultKeys
    self.socketPath = socketPath
    self.pid = pid
    self.sealedNote = sealedNote
  }

  /// The extension reply's contents (after the name).
  public func encode() -> [UInt8] {
    var w = SSHWriter(capacity: 64 + socketPath.utf8.count + sealedNote.utf8.count)
    w.writeBool(locked)
    w.writeByte(vault.rawValue)
    w.writeUInt64(vaultSeconds)
    w.writeUInt32(secondsLeft)
    w.writeUInt32(addedKeys)
    w.writeUInt32(vaultKeys)
    w.writeUInt32(listedVaultKeys)
    w.writeString(socketPath)
    w.writeUInt32(pid)
    w.writeString(sealedNote)
    if let log {
      w.writeString(log.path)
      w.writeUInt64(log.written)
      w.writeUInt64(log.lost)
      w.writeString(log.error)
    }
    return w.bytes
  }

  /// Reads the extension reply's contents; nil when they are not a status reply.
  public static func decode(_ contents: [UInt8]) -> AgentStatus? {
    var r = SSHReader(contents)
    do throws(WireError) {
      let locked = try r.readBool()
      guard let vault = AgentVaultStatus.State(rawValue: try r.readByte()) else { return nil }
      var status = AgentStatus(
        locked: locked, vault: vault, vaultSeconds: try r.readUInt64(), secondsLeft: try r.readUInt32(),
        addedKeys: try r.readUInt32(), vaultKeys: try r.readUInt32(), listedVaultKeys: try r.readUInt32(),
        socketPath: try r.readUTF8(), pid: try r.readUInt32(), sealedNote: try r.readUTF8())
      if !r.isAtEnd {
        status.log = SignatureLogState(
          path: try r.readUTF8(), written: try r.readUInt64(), lost: try r.readUInt64(), error: try r.readUTF8())
      }
      return status
    } catch {
      return nil
    }
  }
}
