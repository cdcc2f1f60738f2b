import KeyholdCrypto
import SSHWire

/// Public key containers: OpenSSH `.pub` lines (`TYPE BASE64 [COMMENT]`, sshd(8) "AUTHORIZED_KEYS FILE FORMAT"
/// without options) including certificates, and RFC 4716 `---- BEGIN SSH2 PUBLIC KEY ----` blocks.
enum PublicKeyFile {
  /// Certificate type names keyhold holds (PROTOCOL.certkeys), one per supported key algorithm.
  static let certificateTypes: Set<String> = Set(KeyAlgorithm.allCases.map { certificateType(of: $0) })

  /// The `*-cert-v01@openssh.com` name of an algorithm's certificate.
  static func certificateType(of algorithm: KeyAlgorithm) -> String {
    "\(algorithm.rawValue)-cert-v01@openssh.com"
  }

  /// Throws unless `name` is a key or certificate type keyhold supports; sk-* and ssh-dss are named in the error.
  static func checkTypeName(_ name: String) throws(KeyError) {
    if KeyAlgorithm(rawValue: name) != nil || certificateTypes.contains(name) { return }
    throw .unsupportedKeyType(name)
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

  private static func looksLikeTypeName(_ token: ArraySlice<UInt8>) -> Bool {
    guard !token.isEmpty, token.count <= 64 else { return false }
    let allowed = token.allSatisfy {
      ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x40 || $0 == 0x2e
    }
    guard allowed else { return false }
    let s = String(decoding: token, as: UTF8.self)
    return s.hasPrefix("ssh-") || s.hasPrefix("ecdsa-") || s.hasPrefix("sk-") || s.hasPrefix("rsa-")
      || s.hasPrefix("x509v3-") || s.contains("@")
  }

  /// The first line that looks like a public key line (blank and `#` lines skipped), or nil.
  static func firstKeyLine(_ data: [UInt8]) -> ArraySlice<UInt8>? {
    for line in PEMFile.lines(data) {
      var t = line
      while let f = t.first, isSpace(f) { t = t.dropFirst() }
      if t.isEmpty || t.first == UInt8(ascii: "#") { continue }
      let token = t.prefix { !isSpace($0) }
      let rest = t.dropFirst(token.count)
      guard rest.first.map(isSpace) == true, rest.contains(where: { !isSpace($0) }) else { return nil }
      return looksLikeTypeName(token) ? t : nil
    }
    return nil
  }

  /// Parses `TYPE BASE64 [COMMENT]`.
  static func parseLine(_ line: ArraySlice<UInt8>) throws(KeyError) -> ParsedKeyFile {
    var rest = line
    let typeToken = rest.prefix { !isSpace($0) }
    rest = rest.dropFirst(typeToken.count)
    while let f = rest.first, isSpace(f) { rest = rest.dropFirst() }
    let b64 = rest.prefix { !isSpace($0) }
    rest = rest.dropFirst(b64.count)
    while let f = rest.first, isSpace(f) { rest = rest.dropFirst() }
    while let l = rest.last, isSpace(l) { rest = rest.dropLast() }

    let typeName = String(decoding: typeToken, as: UTF8.self)
    try checkTypeName(typeName)
    guard !b64.isEmpty else { throw .malformed("public key line has no key data") }
    guard let blob = Base64.decode(b64, requirePadding: false) else {
      throw .malformed("bad base64 in public key line")
    }
    let key = try publicKey(blob: blob, expectedType: typeName)
    return ParsedKeyFile(
      key: .publicKey(key), comment: String(decoding: rest, as: UTF8.self), container: .publicLine,
      wasEncrypted: false)
  }

  /// Decodes a blob after checking its type name (and that it matches the one the container announced).
  static func publicKey(blob: [UInt8], expectedType: String?) throws(KeyError) -> PublicKey {
    var r = SSHReader(blob)
    let inner: String
    do {
      inner = String(decoding: try r.readString(), as: UTF8.self)
    } catch {
      throw .malformed("public key blob: \(error)")
    }
    if let expectedType, inner != expectedType {
      throw .malformed("public key line says \(expectedType) but the key is \(inner)")
    }
    try checkTypeName(inner)
    return try PublicKey(blob: blob)
  }

  /// Parses an RFC 4716 block: headers (`Comment:` kept; `\` continues a line), then base64 of the blob.
  static func parseRFC4716(_ data: [UInt8]) throws(KeyError) -> ParsedKeyFile {
    let begin = Array("---- BEGIN SSH2 PUBLIC KEY ----".utf8)
    let end = Array("---- END SSH2 PUBLIC KEY ----".utf8)
    var state = 0  // 0 before, 1 headers, 2 body, 3 done
    var comment = ""
    var body = [UInt8]()
    var pendingHeader: String? = nil
    for raw in PEMFile.lines(data) {
      var line = raw
      while let l = line.last, isSpace(l) { line = line.dropLast() }
      switch state {
      case 0:
        var t = line
        while let f = t.first, isSpace(f) { t = t.dropFirst() }
        if t.elementsEqual(begin) { state = 1 }
      case 1, 2:
        if line.elementsEqual(end) {
          state = 3
          break
        }
        if state == 1 {
          if var header = pendingHeader {
            header += String(decoding: line, as: UTF8.self)
            pendingHeader = nil
            if header.hasSuffix("\\") {
              pendingHeader = String(header.dropLast())
            } else {
              comment = commentValue(header) ?? comment
            }
            continue
          }
          if line.contains(UInt8(ascii: ":")) {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasSuffix("\\") {
              pendingHeader = String(text.dropLast())
            } else {
              comment = commentValue(text) ?? comment
            }
            continue
          }
          state = 2
        }
        body.append(contentsOf: line)
      default:
        break
      }
      if state == 3 { break }
    }
    guard state == 3 else { throw .malformed("truncated RFC 4716 public key: no END line") }
    guard let blob = Base64.decode(body, ignoringWhitespace: true, requirePadding: false), !blob.isEmpty else {
      throw .malformed("bad base64 in RFC 4716 public key")
    }
    let key = try publicKey(blob: blob, expectedType: nil)
    return ParsedKeyFile(key: .publicKey(key), comment: comment, container: .rfc4716, wasEncrypted: false)
  }

  /// The value of a `Comment:` header, without surrounding quotes; nil for other headers.
  private static func commentValue(_ header: String) -> String? {
    guard let colon = header.firstIndex(of: ":") else { return nil }
    guard header[..<colon].lowercased() == "comment" else { return nil }
    var value = header[header.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
    if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
    return String(value)
  }
}
