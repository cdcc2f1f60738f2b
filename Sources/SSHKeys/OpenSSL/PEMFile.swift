import COpenSSL
import KeyholdCrypto

/// One `-----BEGIN LABEL-----` ... `-----END LABEL-----` block (RFC 7468), with RFC 1421 headers if present.
struct PEMBlock: Sendable {
  /// The label between `BEGIN ` and the dashes, e.g. `RSA PRIVATE KEY`.
  var label: String
  /// RFC 1421 headers (`Proc-Type`, `DEK-Info`), in order.
  var headers: [(name: String, value: String)]
  /// The decoded body.
  var body: [UInt8]

  /// The value of a header, matched case-insensitively.
  func header(_ name: String) -> String? {
    headers.first { $0.name.lowercased() == name.lowercased() }?.value
  }

  /// Re-armours the block canonically (64-column base64), for OpenSSL's PEM reader. The result holds the secret
  /// body; it is built in one buffer of its final size so the caller's wipe reaches the only copy.
  func armoured() -> [UInt8] {
    var b64 = Base64.encodedBytes(body)
    defer { SecureBytes.wipe(&b64) }
    let begin = Array("-----BEGIN \(label)-----\n".utf8)
    let end = Array("-----END \(label)-----\n".utf8)
    var head = [UInt8]()
    for h in headers { head += Array("\(h.name): \(h.value)\n".utf8) }
    if !headers.isEmpty { head.append(0x0a) }
    var out = [UInt8]()
    out.reserveCapacity(begin.count + head.count + b64.count + b64.count / 64 + 1 + end.count)
    out += begin
    out += head
    var i = 0
    while i < b64.count {
      let stop = min(i + 64, b64.count)
      out.append(contentsOf: b64[i..<stop])
      out.append(0x0a)
      i = stop
    }
    out += end
    return out
  }
}

/// PEM and DER private key containers, decoded by OpenSSL 3 (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, legacy
/// encrypted PEM), plus the `OPENSSH PRIVATE KEY` armour, which OpenSSL cannot read and keyhold decodes itself.
enum PEMFile {
  /// Splits text into lines without their `\n` / `\r\n` terminators.
  static func lines(_ data: [UInt8]) -> [ArraySlice<UInt8>] { lines(data[...]) }

  /// Splits a slice into lines (slices of the same storage: nothing is copied).
  static func lines(_ data: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    var out = [ArraySlice<UInt8>]()
    var start = data.startIndex
    for i in data.indices where data[i] == 0x0a {
      var end = i
      if end > start && data[end - 1] == 0x0d { end -= 1 }
      out.append(data[start..<end])
      start = i + 1
    }
    if start < data.endIndex {
      var end = data.endIndex
      if data[end - 1] == 0x0d { end -= 1 }
      out.append(data[start..<end])
    }
    return out
  }

  private static func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var s = line
    while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
    while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
    return s
  }

  private static func boundaryLabel(_ line: ArraySlice<UInt8>, _ kind: String) -> String? {
    let prefix = Array("-----\(kind) ".utf8)
    let suffix = Array("-----".utf8)
    let t = trimmed(line)
    guard t.count >= prefix.count + suffix.count, t.starts(with: prefix), t.suffix(5).elementsEqual(suffix) else {
      return nil
    }
    let label = t.dropFirst(prefix.count).dropLast(suffix.count)
    guard label.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
    return String(decoding: label, as: UTF8.self)
  }

  /// Every PEM block in `data`, in order. Text outside blocks is ignored, as OpenSSL does.
  static func blocks(_ data: [UInt8]) throws(KeyError) -> [PEMBlock] {
    let all = lines(data)
    var out = [PEMBlock]()
    var i = 0
    while i < all.count {
      guard let label = boundaryLabel(all[i], "BEGIN") else {
        i += 1
        continue
      }
      i += 1
      var headers: [(name: String, value: String)] = []
      var bodyText = [UInt8]()
      // Never grows past the input, so no partial copy of the secret text is left behind by a reallocation.
      bodyText.reserveCapacity(data.count)
      var inHeaders = true
      var ended = false
      while i < all.count {
        let line = all[i]
        i += 1
        if let endLabel = boundaryLabel(line, "END") {
          guard endLabel == label else {
            throw .malformed("PEM block \(label) ends with END \(endLabel)")
          }
          ended = true
          break
        }
        if boundaryLabel(line, "BEGIN") != nil {
          throw .malformed("truncated PEM: \(label) block has no END line")
        }
        if inHeaders {
          let t = trimmed(line)
          if t.isEmpty {
            if !headers.isEmpty { inHeaders = false }
            continue
          }
          if let colon = t.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: t[t.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: trimmed(t[(colon + 1)...]), as: UTF8.self)
            headers.append((name, value))
            continue
          }
          if let f = line.first, f == 0x20 || f == 0x09, !headers.isEmpty {
            headers[headers.count - 1].value += String(decoding: trimmed(line), as: UTF8.self)
            continue
          }
          inHeaders = false
        }
        bodyText.append(contentsOf: line)
      }
      guard ended else { throw .malformed("truncated PEM: \(label) block has no END line") }
      guard let body = Base64.decode(bodyText, ignoringWhitespace: true, requirePadding: false) else {
        SecureBytes.wipe(&bodyText)
        throw .malformed("bad base64 in PEM \(label) block")
      }
      SecureBytes.wipe(&bodyText)
      guard !body.isEmpty else { throw .malformed("empty PEM \(label) block") }
      out.append(PEMBlock(label: label, headers: headers, body: body))
    }
    return out
  }

  /// Parses the first private key block of a PEM file.
  static func parse(_ data: [UInt8], provider: PassphraseProvider, limits: KeyFile.Limits) throws -> ParsedKeyFile {
    var all = try blocks(data)
    defer {
      for i in all.indices { SecureBytes.wipe(&all[i].body) }
    }
    let skipped: Set<String> = ["EC PARAMETERS", "DSA PARAMETERS"]
    // Index, not a copy: a copy would share the body's storage and defeat the wipe above.
    guard let index = all.firstIndex(where: { !skipped.contains($0.label) }) else {
      if let first = all.first { throw KeyError.unrecognizedFormat("PEM block \(first.label) holds no key") }
      throw KeyError.malformed("truncated PEM: no complete BEGIN/END block")
    }
    let label = all[index].label
    let container: KeyContainer
    switch label {
    case "OPENSSH PRIVATE KEY":
      return try OpenSSHKeyFile.decode(binary: all[index].body, provider: provider, limits: limits)
    case "RSA PRIVATE KEY", "EC PRIVATE KEY":
      if let procType = all[index].header("Proc-Type") {
        guard procType.replacingASCIIWhitespace() == "4,ENCRYPTED" else {
          throw KeyError.malformed("unexpected Proc-Type \(procType)")
        }
        guard let dek = all[index].header("DEK-Info"), let comma = dek.firstIndex(of: ",") else {
          throw KeyError.malformed("encrypted PEM without a DEK-Info header")
        }
        let cipherName = String(dek[..<comma])
        guard cipherName.allSatisfy({ $0.isASCII }), EVP_get_cipherbyname(cipherName) != nil else {
          throw KeyError.unsupportedCipher(cipherName)
        }
        container = .legacyEncryptedPEM
      } else {
        container = label == "RSA PRIVATE KEY" ? .pkcs1 : .sec1
      }
    case "PRIVATE KEY": container = .pkcs8
    case "ENCRYPTED PRIVATE KEY":
      try PKCS8KDFLimit.check(all[index].body, maxWork: limits.maxPKCS8Iterations)
      container = .encryptedPKCS8
    case "DSA PRIVATE KEY": throw KeyError.unsupportedKeyType("ssh-dss")
    case "SSH2 ENCRYPTED PRIVATE KEY": throw KeyError.unrecognizedFormat("ssh.com private keys are not supported")
    case "PUBLIC KEY":
      return try SubjectPublicKeyInfoFile.parse(der: all[index].body, label: "PEM PUBLIC KEY")
    case "RSA PUBLIC KEY":
      throw KeyError.unrecognizedFormat(
        "PEM RSA PUBLIC KEY (PKCS#1) is not read; convert it with openssl pkey -pubin -pubout")
    default:
      throw KeyError.unrecognizedFormat("PEM block \(label) holds no private key")
    }

    var armoured = all[index].armoured()
    defer { SecureBytes.wipe(&armoured) }
    let key = try OpenSSLDecode.privateKey(
      label: label, provider: provider
    ) { cb, ctx in
      armoured.withUnsafeBytes { raw -> OpaquePointer? in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
        defer { BIO_free(bio) }
        return PEM_read_bio_PrivateKey(bio, nil, cb, ctx)
      }
    }
    return ParsedKeyFile(
      key: .privateKey(key), comment: "", container: container,
      wasEncrypted: container == .legacyEncryptedPEM || container == .encryptedPKCS8)
  }

  /// How raw input relates to a DER SEQUENCE, the outer structure of every private key encoding.
  enum DERShape { case whole, truncated, notDER }

  /// Whether `data` is exactly one DER SEQUENCE (X.690 §8.1: tag 0x30, definite length), one cut short, or neither.
  /// Only a SEQUENCE whose first element is an INTEGER (PKCS#1, SEC1, PKCS#8 version) or a SEQUENCE (encrypted
  /// PKCS#8's algorithm) counts as cut short, so text starting with "0" is not mistaken for damaged DER.
  static func derShape(_ data: [UInt8]) -> DERShape {
    guard let (tag, header, length) = DERReader.header(data[...]), tag == DERReader.sequence else { return .notDER }
    if header + length == data.count { return .whole }
    if header + length > data.count, data.count > header,
      data[header] == DERReader.integer || data[header] == DERReader.sequence
    {
      return .truncated
    }
    return .notDER
  }

  /// Parses DER without armour: PKCS#1, SEC1, PKCS#8, or encrypted PKCS#8.
  static func parseDER(_ data: [UInt8], provider: PassphraseProvider, limits: KeyFile.Limits) throws -> ParsedKeyFile {
    // Only an EncryptedPrivateKeyInfo has key-derivation parameters; on other structures the walk finds none.
    try PKCS8KDFLimit.check(data, maxWork: limits.maxPKCS8Iterations)
    let key = try OpenSSLDecode.privateKey(label: "DER", provider: provider) { cb, ctx in
      decodeDER(data, callback: cb, context: ctx)
    }
    return ParsedKeyFile(key: .privateKey(key), comment: "", container: .der, wasEncrypted: provider.wasAsked)
  }
}

extension PEMFile {
  /// Runs OpenSSL's DER decoder (any private key structure) with a passphrase callback; returns an owned key.
  fileprivate static func decodeDER(
    _ data: [UInt8], callback: OpenSSLDecode.PassphraseCallback, context: UnsafeMutableRawPointer
  ) -> OpaquePointer? {
    var pkey: OpaquePointer? = nil
    let selection = Int32(OSSL_KEYMGMT_SELECT_PRIVATE_KEY | OSSL_KEYMGMT_SELECT_PUBLIC_KEY)
    guard let dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", nil, nil, selection, nil, nil) else { return nil }
    defer { OSSL_DECODER_CTX_free(dctx) }
    _ = OSSL_DECODER_CTX_set_pem_password_cb(dctx, callback, context)
    var ok: Int32 = 0
    data.withUnsafeBufferPointer { buf in
      var p: UnsafePointer<UInt8>? = buf.baseAddress
      var len = buf.count
      ok = OSSL_DECODER_from_data(dctx, &p, &len)
    }
    if ok != 1, let k = pkey {
      EVP_PKEY_free(k)
      return nil
    }
    return pkey
  }
}

extension String {
  /// The string without ASCII spaces and tabs.
  fileprivate func replacingASCIIWhitespace() -> String { String(filter { $0 != " " && $0 != "\t" }) }
}
