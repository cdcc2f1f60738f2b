/// One hop rule of `restrict-destination-v00@openssh.com` (PROTOCOL.agent §2): a key may be used from `from` to `to`.
public struct DestinationConstraint: Sendable, Equatable {
  /// Where the request may come from; an empty hostname and no keys mean "the host running the agent".
  public var from: DestinationHop
  /// Where the key may be used; hostname and keys are required.
  public var to: DestinationHop

  /// Creates a rule.
  public init(from: DestinationHop, to: DestinationHop) {
    self.from = from
    self.to = to
  }

  /// Reads `string { string from-hop, string to-hop, string reserved }`, checking the consistency rules of
  /// PROTOCOL.agent §2 (empty from-user, from hostname and keys both or neither, to hostname and keys present).
  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> DestinationConstraint {
    var body = AgentReader(try r.string())
    var fromReader = AgentReader(try body.string())
    var toReader = AgentReader(try body.string())
    let reserved = try body.string()
    try body.end()
    guard reserved.isEmpty else { throw .invalidDestinationConstraint("reserved field is not empty") }
    let from = try DestinationHop.read(&fromReader)
    let to = try DestinationHop.read(&toReader)
    guard from.user.isEmpty else { throw .invalidDestinationConstraint("from-username must be empty") }
    guard from.hostname.isEmpty == from.hostKeys.isEmpty else {
      throw .invalidDestinationConstraint("from-hostname and from-hostkeys must be given together")
    }
    guard !to.hostname.isEmpty, !to.hostKeys.isEmpty else {
      throw .invalidDestinationConstraint("to-hostname and to-hostkeys are required")
    }
    return DestinationConstraint(from: from, to: to)
  }

  /// Appends the wire form.
  public func encode(into w: inout SSHWriter) {
    var body = SSHWriter()
    var f = SSHWriter()
    from.encode(into: &f)
    body.writeString(f.bytes)
    var t = SSHWriter()
    to.encode(into: &t)
    body.writeString(t.bytes)
    body.writeString([UInt8]())
    w.writeString(body.bytes)
  }
}

/// One end of a ``DestinationConstraint``: a user pattern, a host name and the host keys (or CA keys) that prove it.
public struct DestinationHop: Sendable, Equatable {
  /// A user name pattern (`to` only; empty means any user).
  public var user: String
  /// The host name, for display and certificate principal checks.
  public var hostname: String
  /// The host keys, each a public key blob, marked when it is a certificate authority.
  public var hostKeys: [HostKeySpec]

  /// Creates a hop.
  public init(user: String = "", hostname: String, hostKeys: [HostKeySpec]) {
    self.user = user
    self.hostname = hostname
    self.hostKeys = hostKeys
  }

  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> DestinationHop {
    let user = try r.utf8()
    let host = try r.utf8()
    let reserved = try r.string()
    guard reserved.isEmpty else { throw .invalidDestinationConstraint("hop reserved field is not empty") }
    var keys: [HostKeySpec] = []
    while !r.isAtEnd {
      let blob = try r.string()
      let isCA = try r.bool()
      keys.append(HostKeySpec(keyBlob: blob, isCA: isCA))
    }
    return DestinationHop(user: user, hostname: host, hostKeys: keys)
  }

  func encode(into w: inout SSHWriter) {
    w.writeString(user)
    w.writeString(hostname)
    w.writeString([UInt8]())
    for k in hostKeys {
      w.writeString(k.keyBlob)
      w.writeBool(k.isCA)
    }
  }
}

/// A host key named by a destination constraint.
public struct HostKeySpec: Sendable, Equatable, Hashable {
  /// The public key blob.
  public var keyBlob: [UInt8]
  /// True when the key is a CA that signs host certificates.
  public var isCA: Bool

  /// Creates a key spec.
  public init(keyBlob: [UInt8], isCA: Bool) {
    self.keyBlob = keyBlob
    self.isCA = isCA
  }
}
