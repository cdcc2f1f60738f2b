extension PublicKeyBlob {
  /// An OpenSSH certificate (PROTOCOL.certkeys): a plain key plus the fields a CA signed.
  ///
  /// Options and extensions are checked to be well-formed lists but kept as their raw bytes, and the CA key and
  /// signature are kept raw, so that re-encoding reproduces the input exactly.
  public struct Certificate: Hashable, Sendable {
    /// CA-chosen random nonce.
    public var nonce: [UInt8]
    /// The certified key (never itself a certificate).
    public var key: PublicKeyBlob
    /// Serial number.
    public var serial: UInt64
    /// `SSH2_CERT_TYPE_USER` (1) or `SSH2_CERT_TYPE_HOST` (2).
    public var certType: UInt32
    /// Free-form key identifier.
    public var keyID: String
    /// Valid principals; empty means any.
    public var principals: [String]
    /// Seconds since the epoch from which the certificate is valid.
    public var validAfter: UInt64
    /// Seconds since the epoch until which the certificate is valid.
    public var validBefore: UInt64
    /// The packed `critical options` list (`string name, string data` pairs).
    public var criticalOptions: [UInt8]
    /// The packed `extensions` list (`string name, string data` pairs).
    public var extensions: [UInt8]
    /// The `reserved` field (empty in every current certificate).
    public var reserved: [UInt8]
    /// The CA's public key blob.
    public var signatureKey: [UInt8]
    /// The CA's signature blob over everything before it.
    public var signature: [UInt8]

    /// A user certificate.
    public static let userType: UInt32 = 1
    /// A host certificate.
    public static let hostType: UInt32 = 2

    /// Decodes everything after the type name, for a certificate whose plain key type is `plainTypeName`.
    static func decodeBody(plainTypeName: String, from reader: inout SSHReader) throws(WireError) -> Certificate {
      let nonce = try reader.readString()
      let key = try PublicKeyBlob.decodeFields(typeName: plainTypeName, from: &reader)
      let serial = try reader.readUInt64()
      let certType = try reader.readUInt32()
      guard certType == userType || certType == hostType else {
        throw .invalidValue("certificate type \(certType) is neither user (1) nor host (2)")
      }
      let keyID = try reader.readUTF8()
      var principalReader = SSHReader(try reader.readString())
      var principals: [String] = []
      while !principalReader.isAtEnd { principals.append(try principalReader.readUTF8()) }
      let validAfter = try reader.readUInt64()
      let validBefore = try reader.readUInt64()
      let criticalOptions = try reader.readString()
      try checkOptionList(criticalOptions, what: "critical options")
      let extensions = try reader.readString()
      try checkOptionList(extensions, what: "extensions")
      let reserved = try reader.readString()
      let signatureKey = try reader.readString()
      guard !signatureKey.isEmpty else { throw .invalidValue("certificate has no signature key") }
      let signature = try reader.readString()
      guard !signature.isEmpty else { throw .invalidValue("certificate has no signature") }
      return Certificate(
        nonce: nonce, key: key, serial: serial, certType: certType, keyID: keyID, principals: principals,
        validAfter: validAfter, validBefore: validBefore, criticalOptions: criticalOptions, extensions: extensions,
        reserved: reserved, signatureKey: signatureKey, signature: signature)
    }

    /// Checks a packed option list: `string name, string data` pairs to the end.
    private static func checkOptionList(_ raw: [UInt8], what: String) throws(WireError) {
      var r = SSHReader(raw)
      while !r.isAtEnd {
        guard (try? r.readUTF8()) != nil, (try? r.readString()) != nil else {
          throw .invalidValue("certificate \(what) are not a list of name/data pairs")
        }
      }
    }

    /// The critical options as `(name, data)` pairs.
    public var criticalOptionList: [(name: String, data: [UInt8])] { Certificate.unpack(criticalOptions) }

    /// The extensions as `(name, data)` pairs.
    public var extensionList: [(name: String, data: [UInt8])] { Certificate.unpack(extensions) }

    private static func unpack(_ raw: [UInt8]) -> [(name: String, data: [UInt8])] {
      var r = SSHReader(raw)
      var out: [(name: String, data: [UInt8])] = []
      while !r.isAtEnd {
        guard let name = try? r.readUTF8(), let data = try? r.readString() else { break }
        out.append((name, data))
      }
      return out
    }

    /// Appends the complete certificate blob, type name included.
    func encode(into writer: inout SSHWriter) {
      writer.writeString(key.typeName + PublicKeyBlob.certificateSuffix)
      writer.writeString(nonce)
      key.encodeFields(into: &writer)
      writer.writeUInt64(serial)
      writer.writeUInt32(certType)
      writer.writeString(keyID)
      var principalWriter = SSHWriter()
      for p in principals { principalWriter.writeString(p) }
      writer.writeString(principalWriter.bytes)
      writer.writeUInt64(validAfter)
      writer.writeUInt64(validBefore)
      writer.writeString(criticalOptions)
      writer.writeString(extensions)
      writer.writeString(reserved)
      writer.writeString(signatureKey)
      writer.writeString(signature)
    }
  }
}
