/// A private key as SSH2_AGENTC_ADD_IDENTITY carries it: `string type` and the type's fields, kept as raw bytes.
///
/// SSHWire knows only where each key type's fields end (draft-ietf-sshm-ssh-agent §3.2.x and OpenSSH's
/// `sshkey_private_serialize`), so it can find the comment that follows; the key itself is parsed by SSHKeys.
/// Certificates (`*-cert-v01@openssh.com`) carry the certificate blob first, then only the private fields.
public struct AgentPrivateKeyWire: Sendable, Equatable {
  /// The key type name as sent (`ssh-ed25519`, `ssh-rsa-cert-v01@openssh.com`, ...).
  public let keyType: String
  /// Every byte of the key, from the type string through its last field.
  public let bytes: [UInt8]
  /// The certificate blob when the key type is a certificate type.
  public let certificate: [UInt8]?

  /// Wraps raw bytes that already hold one key (checked by ``decode(_:)``).
  init(keyType: String, bytes: [UInt8], certificate: [UInt8]?) {
    self.keyType = keyType
    self.bytes = bytes
    self.certificate = certificate
  }

  /// Reads one key in agent wire form from `bytes`, which must hold exactly that key.
  public static func decode(_ bytes: [UInt8]) throws(AgentProtocolError) -> AgentPrivateKeyWire {
    var r = AgentReader(bytes)
    let key = try read(&r)
    try r.end()
    return key
  }

  /// Reads one key, stopping after its last field.
  static func read(_ r: inout AgentReader) throws(AgentProtocolError) -> AgentPrivateKeyWire {
    let start = r.offset
    let type = try r.utf8()
    var certificate: [UInt8]? = nil
    if type.hasSuffix("-cert-v01@openssh.com") { certificate = try r.string() }
    let isCert = certificate != nil
    switch type {
    case "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com":
      _ = try r.string()  // public key (32 bytes)
      _ = try r.string()  // secret key || public key (64 bytes)
    case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
      "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
      "ecdsa-sha2-nistp521-cert-v01@openssh.com":
      if !isCert {
        _ = try r.string()  // curve name
        _ = try r.string()  // public point Q
      }
      _ = try r.mpint()  // private scalar d
    case "ssh-rsa", "ssh-rsa-cert-v01@openssh.com":
      if !isCert {
        _ = try r.mpint()  // n
        _ = try r.mpint()  // e
      }
      for _ in 0..<4 { _ = try r.mpint() }  // d, iqmp, p, q
    case "ssh-dss", "ssh-dss-cert-v01@openssh.com":
      if !isCert { for _ in 0..<4 { _ = try r.mpint() } }  // p, q, g, y
      _ = try r.mpint()  // x
    case "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com":
      if !isCert {
        _ = try r.string()
        _ = try r.string()
      }
      try readSecurityKeyFields(&r)
    case "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com":
      if !isCert { _ = try r.string() }
      try readSecurityKeyFields(&r)
    default:
      throw .unknownKeyType(type)
    }
    return AgentPrivateKeyWire(keyType: type, bytes: r.slice(from: start), certificate: certificate)
  }

  /// FIDO keys: application, flags, key handle, reserved (OpenSSH PROTOCOL.u2f).
  private static func readSecurityKeyFields(_ r: inout AgentReader) throws(AgentProtocolError) {
    _ = try r.string()
    _ = try r.byte()
    _ = try r.string()
    _ = try r.string()
  }
}
