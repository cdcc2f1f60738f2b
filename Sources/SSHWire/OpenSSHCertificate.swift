/// The fields of an OpenSSH certificate blob the agent needs (PROTOCOL.certkeys): the certified key, principals,
/// validity and the signing CA. Parsing only; the CA's signature is not checked here.
public struct OpenSSHCertificate: Sendable, Equatable {
  /// The certificate type name (`ssh-ed25519-cert-v01@openssh.com`, ...).
  public var type: String
  /// The certified public key as a plain key blob (`ssh-ed25519`, ...).
  public var publicKeyBlob: [UInt8]
  /// SSH_CERT_TYPE_USER (1) or SSH_CERT_TYPE_HOST (2).
  public var certType: UInt32
  /// The key id.
  public var keyID: String
  /// The principals (user or host names); empty means any.
  public var principals: [String]
  /// Seconds since the epoch from which the certificate is valid.
  public var validAfter: UInt64
  /// Seconds since the epoch until which the certificate is valid.
  public var validBefore: UInt64
  /// The CA's public key blob.
  public var signatureKey: [UInt8]

  /// True when `blob` names a certificate type (by its type string).
  public static func isCertificate(_ blob: [UInt8]) -> Bool {
    var r = SSHReader(blob)
    guard let t = try? r.readUTF8() else { return false }
    return t.hasSuffix("-cert-v01@openssh.com")
  }

  /// Parses a certificate blob of type Ed25519, ECDSA or RSA.
  public static func parse(_ blob: [UInt8]) throws(AgentProtocolError) -> OpenSSHCertificate {
    var r = AgentReader(blob)
    let type = try r.utf8()
    guard type.hasSuffix("-cert-v01@openssh.com") else { throw .invalidField("\(type) is not a certificate") }
    let plain = String(type.dropLast("-cert-v01@openssh.com".count))
    _ = try r.string()  // nonce
    var key = SSHWriter()
    key.writeString(plain)
    switch plain {
    case "ssh-ed25519":
      key.writeString(try r.string())
    case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
      key.writeString(try r.string())
      key.writeString(try r.string())
    case "ssh-rsa":
      let e = try r.mpint()
      let n = try r.mpint()
      key.writeString(e)
      key.writeString(n)
    default:
      throw .unknownKeyType(type)
    }
    var serial = SSHReader(try r.readRaw(8))
    _ = try? serial.readUInt64()
    let certType = try r.uint32()
    let keyID = try r.utf8()
    var names = AgentReader(try r.string())
    var principals: [String] = []
    while !names.isAtEnd { principals.append(try names.utf8()) }
    let after = try r.uint64()
    let before = try r.uint64()
    _ = try r.string()  // critical options
    _ = try r.string()  // extensions
    _ = try r.string()  // reserved
    let signatureKey = try r.string()
    _ = try r.string()  // signature
    try r.end()
    return OpenSSHCertificate(
      type: type, publicKeyBlob: key.bytes, certType: certType, keyID: keyID, principals: principals,
      validAfter: after, validBefore: before, signatureKey: signatureKey)
  }
}

extension AgentReader {
  mutating func readRaw(_ n: Int) throws(AgentProtocolError) -> [UInt8] {
    do { return try inner.readBytes(n) } catch { throw .malformed(error) }
  }

  mutating func uint64() throws(AgentProtocolError) -> UInt64 {
    do { return try inner.readUInt64() } catch { throw .malformed(error) }
  }
}
