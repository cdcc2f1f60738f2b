import AgentServer
import ArgumentParser
import SSHWire

/// `keyhold status`: what the running agent holds, from its `status@keyhold` extension.
struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show the running agent's state: locked, vault sealed or open, key counts, socket and pid.")

  @Flag(name: .long, help: "Print JSON (keyhold(1), JSON OUTPUT).")
  var json = false

  func run() throws {
    try runReportingErrors {
      let client = try AgentConnection.connect()
      let reply = try AgentConnection.call(client, .extension(.other(name: AgentStatus.extensionName, contents: [])))
      guard case .extensionResponse(.other(AgentStatus.extensionName, let contents)) = reply,
        let status = AgentStatus.decode(contents)
      else {
        throw CLIError(
          "the agent does not report its status",
          hint: "SSH_AUTH_SOCK may name an agent other than keyhold's, or an older keyhold agent")
      }
      try writeStdout(json ? try VaultPresentation.json(Document(status)) : Self.text(status))
    }
  }

  /// The human-readable report, one `name: value` line per fact.
  static func text(_ s: AgentStatus) -> String {
    var lines: [(String, String)] = [("agent", s.locked ? "locked" : "unlocked")]
    switch s.vault {
    case .none: lines.append(("vault", "none (the agent was started with --no-vault)"))
    case .sealed: lines.append(("vault", "sealed for \(duration(s.vaultSeconds))"))
    case .open:
      var v = "open for \(duration(s.vaultSeconds))"
      if s.secondsLeft > 0 { v += ", seals in \(duration(UInt64(s.secondsLeft)))" }
      lines.append(("vault", v))
    }
    if s.vault != .none {
      lines.append(("vault keys", "\(s.vaultKeys) (\(s.listedVaultKeys) listed)"))
    }
    lines.append(("added keys", "\(s.addedKeys)"))
    if !s.sealedNote.isEmpty { lines.append(("not listed", "sealed vault keys: \(s.sealedNote)")) }
    lines.append(("socket", s.socketPath.isEmpty ? "unknown" : s.socketPath))
    lines.append(("pid", "\(s.pid)"))
    if let log = s.log {
      lines.append(("log", "\(log.path): \(log.written) written, \(log.lost) lost"))
      if !log.error.isEmpty { lines.append(("log error", AgentLogEscape.escape(log.error))) }
    } else {
      lines.append(("log", "off"))
    }
    let width = lines.map(\.0.count).max() ?? 0
    return lines.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 + "\n" }.joined()
  }

  /// `1h 2m 3s`, leaving out leading zero units.
  static func duration(_ seconds: UInt64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
    if h > 0 { return "\(h)h \(m)m \(s)s" }
    if m > 0 { return "\(m)m \(s)s" }
    return "\(s)s"
  }

  /// The `--json` document: absent values are `null`, never left out.
  struct Document: Encodable {
    let status: AgentStatus

    init(_ status: AgentStatus) { self.status = status }

    enum CodingKeys: String, CodingKey {
      case locked, vault
      case vaultSeconds = "vault_seconds"
      case sealsInSeconds = "seals_in_seconds"
      case vaultKeys = "vault_keys"
      case listedVaultKeys = "listed_vault_keys"
      case addedKeys = "added_keys"
      case notListedReason = "not_listed_reason"
      case socket, pid
      case signatureLog = "signature_log"
    }

    struct Log: Encodable {
      let path: String
      let written: UInt64
      let lost: UInt64
      let error: String?
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      let hasVault = status.vault != .none
      try c.encode(status.locked, forKey: .locked)
      try c.encode(["none", "sealed", "open"][Int(status.vault.rawValue)], forKey: .vault)
      try c.encode(hasVault ? status.vaultSeconds : nil, forKey: .vaultSeconds)
      try c.encode(status.vault == .open && status.secondsLeft > 0 ? status.secondsLeft : nil, forKey: .sealsInSeconds)
      try c.encode(hasVault ? status.vaultKeys : nil, forKey: .vaultKeys)
      try c.encode(hasVault ? status.listedVaultKeys : nil, forKey: .listedVaultKeys)
      try c.encode(status.addedKeys, forKey: .addedKeys)
      try c.encode(status.sealedNote.isEmpty ? nil : status.sealedNote, forKey: .notListedReason)
      try c.encode(status.socketPath.isEmpty ? nil : status.socketPath, forKey: .socket)
      try c.encode(status.pid, forKey: .pid)
      try c.encode(
        status.log.map {
          Log(path: $0.path, written: $0.written, lost: $0.lost, error: $0.error.isEmpty ? nil : $0.error)
        },
        forKey: .signatureLog)
    }
  }
}
