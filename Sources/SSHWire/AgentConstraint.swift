/// A key constraint of SSH2_AGENTC_ADD_ID_CONSTRAINED (draft-ietf-sshm-ssh-agent §3.2.7, PROTOCOL.agent §2–3).
public enum AgentConstraint: Sendable, Equatable {
  /// SSH_AGENT_CONSTRAIN_LIFETIME (1): forget the key after this many seconds.
  case lifetime(seconds: UInt32)
  /// SSH_AGENT_CONSTRAIN_CONFIRM (2): ask the user before each use.
  case confirm
  /// SSH_AGENT_CONSTRAIN_MAXSIGN (3): at most this many signatures (XMSS keys only).
  case maxSignatures(UInt32)
  /// SSH_AGENT_CONSTRAIN_EXTENSION (255) `restrict-destination-v00@openssh.com`.
  case restrictDestination([DestinationConstraint])
  /// SSH_AGENT_CONSTRAIN_EXTENSION (255) `associated-certs-v00@openssh.com` (smartcard keys).
  case associatedCertificates(certificatesOnly: Bool, certificates: [[UInt8]])
  /// SSH_AGENT_CONSTRAIN_EXTENSION (255) `sk-provider@openssh.com`: the FIDO middleware to use.
  case securityKeyProvider(String)

  /// Constraint numbers.
  public enum Kind: UInt8, Sendable {
    /// SSH_AGENT_CONSTRAIN_LIFETIME.
    case lifetime = 1
    /// SSH_AGENT_CONSTRAIN_CONFIRM.
    case confirm = 2
    /// SSH_AGENT_CONSTRAIN_MAXSIGN.
    case maxSignatures = 3
    /// SSH_AGENT_CONSTRAIN_EXTENSION.
    case `extension` = 255
  }

  /// Extension constraint names.
  public enum ExtensionName {
    /// Destination restriction (PROTOCOL.agent §2).
    public static let restrictDestination = "restrict-destination-v00@openssh.com"
    /// Certificates to load with a smartcard key.
    public static let associatedCertificates = "associated-certs-v00@openssh.com"
    /// FIDO middleware path.
    public static let securityKeyProvider = "sk-provider@openssh.com"
  }

  /// A short name for logs and duplicate checks.
  public var name: String {
    switch self {
    case .lifetime: return "lifetime"
    case .confirm: return "confirm"
    case .maxSignatures: return "maxsign"
    case .restrictDestination: return ExtensionName.restrictDestination
    case .associatedCertificates: return ExtensionName.associatedCertificates
    case .securityKeyProvider: return ExtensionName.securityKeyProvider
    }
  }

  /// Reads constraints until the end of the message; a repeated constraint is an error (as in OpenSSH).
  static func readAll(_ r: inout AgentReader) throws(AgentProtocolError) -> [AgentConstraint] {
    var out: [AgentConstraint] = []
    while !r.isAtEnd {
      let c = try read(&r)
      if out.contains(where: { $0.name == c.name }) { throw .duplicateConstraint(c.name) }
      out.append(c)
    }
    return out
  }

  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> AgentConstraint {
    let kind = try r.byte()
    switch Kind(rawValue: kind) {
    case .lifetime: return .lifetime(seconds: try r.uint32())
    case .confirm: return .confirm
    case .maxSignatures: return .maxSignatures(try r.uint32())
    case .extension:
      let name = try r.utf8()
      switch name {
      case ExtensionName.restrictDestination:
        var inner = AgentReader(try r.string())
        var list: [DestinationConstraint] = []
        while !inner.isAtEnd { list.append(try DestinationConstraint.read(&inner)) }
        return .restrictDestination(list)
      case ExtensionName.associatedCertificates:
        let only = try r.bool()
        var inner = AgentReader(try r.string())
        var certs: [[UInt8]] = []
        while !inner.isAtEnd { certs.append(try inner.string()) }
        return .associatedCertificates(certificatesOnly: only, certificates: certs)
      case ExtensionName.securityKeyProvider:
        return .securityKeyProvider(try r.utf8())
      default:
        throw .unknownConstraintExtension(name)
      }
    case nil:
      throw .unknownConstraint(kind)
    }
  }

  /// Appends the wire form.
  public func encode(into w: inout SSHWriter) {
    switch self {
    case .lifetime(let s):
      w.writeByte(Kind.lifetime.rawValue)
      w.writeUInt32(s)
    case .confirm:
      w.writeByte(Kind.confirm.rawValue)
    case .maxSignatures(let n):
      w.writeByte(Kind.maxSignatures.rawValue)
      w.writeUInt32(n)
    case .restrictDestination(let list):
      w.writeByte(Kind.extension.rawValue)
      w.writeString(ExtensionName.restrictDestination)
      var inner = SSHWriter()
      for d in list { d.encode(into: &inner) }
      w.writeString(inner.bytes)
    case .associatedCertificates(let only, let certs):
      w.writeByte(Kind.extension.rawValue)
      w.writeString(ExtensionName.associatedCertificates)
      w.writeBool(only)
      var inner = SSHWriter()
      for c in certs { inner.writeString(c) }
      w.writeString(inner.bytes)
    case .securityKeyProvider(let p):
      w.writeByte(Kind.extension.rawValue)
      w.writeString(ExtensionName.securityKeyProvider)
      w.writeString(p)
    }
  }
}
