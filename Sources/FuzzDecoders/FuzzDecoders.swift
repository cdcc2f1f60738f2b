// libFuzzer entry point over every decoder that reads untrusted bytes. Built with `make fuzz`; in a plain build it
// links to a no-op. The first input byte picks the decoder, the rest is its input, so one corpus covers them all.
import Audit
import Cloud
import HostBook
import KeyholdCrypto
import SSHKeys
import SSHWire
import SignatureLog
import Vault

/// The fixed passphrase offered to encrypted inputs, so decryption paths run too.
private let fuzzPassphrase = SecureBytes(copying: Array("keyhold-test-passphrase".utf8))

/// Keeps each run cheap: a mutated bcrypt round or PBKDF2 iteration count must not turn one input into minutes of work.
private let fuzzLimits = KeyFile.Limits(maxBcryptRounds: 2, maxInputBytes: 1 << 16, maxPKCS8Iterations: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let selector = data[0]
  let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  // Selectors keep their meaning when the modulus grows (0 to 15 route as they did under `% 16`), so an old corpus
  // still routes the same way.
  switch selector % 32 {
  case 0, 1:
    // Key containers: PEM, DER, OpenSSH, .pub, RFC 4716, cloud tool wrappers.
    _ = try? KeyFile.parse(input, passphrase: { fuzzPassphrase }, limits: fuzzLimits)
  case 2:
    _ = try? KeyFile.parse(input, passphrase: nil as SecureBytes?, limits: fuzzLimits)
  case 3:
    _ = try? PublicKey(blob: input)
  case 4:
    var reader = SSHReader(input)
    _ = try? PrivateKey.decodeWire(&reader)
  case 5:
    readerOps(input)
  case 6:
    agentFrames(input)
  case 8:
    xmlDocument(input)
  case 9:
    iniFile(input, inlineComments: .none)
  case 10:
    iniFile(input, inlineComments: .semicolonAfterWhitespace)
  case 11:
    eucarc(input)
  case 12:
    auditRecords(input)
  case 13:
    vaultFile(input, envelopeVersion: 1)
  case 16:
    agentStatus(input)
  case 17:
    signedData(input)
  case 18:
    // Console output: at most `maxKeys` host keys, each of a known type.
    let keys = ConsoleHostKeys.parse(String(decoding: input, as: UTF8.self))
    if keys.count > ConsoleHostKeys.maxKeys { fatalError("console parser returned too many keys") }
  case 19:
    // DescribeInstances and GetConsoleOutput answers.
    if let root = try? XMLScanner.parse(input) {
      _ = ListedInstance.page(root)
      _ = try? EC2Client.consoleText(root)
    }
  case 20:
    // A signature log line: whatever decodes encodes to a line that decodes to the same record.
    if let record = try? SignatureLogCodec.decode(input),
      (try? SignatureLogCodec.decode(SignatureLogCodec.encode(record).dropLast())) != record
    {
      fatalError("signature log record does not survive encoding")
    }
  case 21:
    // The PKCS #11 helper codec: a request that decodes encodes back to the same bytes (a reply may not: a label
    // that is not UTF-8 decodes with replacement characters).
    if let request = try? PKCS11HelperRequest.decode(input) { precondition(request.encode() == input) }
    _ = try? PKCS11HelperReply.decode(input)
  case 22:
    hostFiles(input)
  case 23:
    keyStream(input)
  default:
    vaultFile(input, envelopeVersion: VaultFile.currentVersion)
  }
  return 0
}

/// Standard input of `keyhold import -`: cut into keys, each of which then goes to the key file parser. The pieces
/// are never empty (unless the input is) and never hold more than the input.
private func keyStream(_ input: [UInt8]) {
  let pieces = KeyStream.split(input)
  if pieces.isEmpty || (!input.isEmpty && pieces.contains(where: \.isEmpty))
    || pieces.reduce(0, { $0 + $1.count }) > input.count
  {
    fatalError("key stream split lost its input's shape")
  }
  for piece in pieces { _ = try? KeyFile.parse(piece, passphrase: nil as SecureBytes?, limits: fuzzLimits) }
}

/// The two host files (keyhold-hosts(5)), read as each, then through what the agent and `keyhold hosts` build from
/// them. Records that decode encode to a file that decodes to the same records.
private func hostFiles(_ input: [UInt8]) {
  let learned = try? HostBook.decodeLearned(input, path: "fuzz.hosts")
  if let learned, (try? HostBook.decodeLearned(HostBook.encodeLearned(learned), path: "")) != learned {
    fatalError("learned hosts do not survive encoding")
  }
  let instances = try? HostBook.decodeInstances(input, path: "fuzz.instances")
  if let instances, (try? HostBook.decodeInstances(HostBook.encodeInstances(instances), path: "")) != instances {
    fatalError("instances do not survive encoding")
  }
  _ = HostBook.index(learned: learned ?? [], instances: instances ?? [])
  _ = HostBook.known(learned: learned ?? [], instances: instances ?? [])
}

/// Vault files: as given, and wrapped in a valid envelope (length and checksum) of `envelopeVersion` so mutations
/// reach the sections (public entries, retired entries, status records). Decoding is canonical: whatever decodes
/// encodes back to the same bytes.
private func vaultFile(_ input: [UInt8], envelopeVersion: UInt32) {
  for candidate in [input, vaultEnvelope(input, version: envelopeVersion)] {
    if let file = try? VaultFile.decode(candidate), file.encode() != candidate {
      fatalError("vault decode then encode changed the bytes")
    }
  }
}

/// Cloud answers: the scanner must be total, and a tree it returns, written back out as XML, must read back as the
/// same tree.
private func xmlDocument(_ input: [UInt8]) {
  guard let root = try? XMLScanner.parse(input) else { return }
  var out: [UInt8] = []
  writeXML(root, into: &out)
  guard let again = try? XMLScanner.parse(out) else { fatalError("xml tree written back out does not parse") }
  if again != root { fatalError("xml tree written back out parses to another tree") }
}

/// Writes `element` with a namespace prefix (the scanner keeps only the part after the last colon, so a local name
/// such as `!x` or `?x` is still read as a name) and its text before its children (the scanner joins all the text
/// directly inside an element into one string).
private func writeXML(_ element: XMLElement, into out: inout [UInt8]) {
  out += Array("<k:\(element.name)>".utf8)
  for b in element.text.utf8 {
    switch b {
    case UInt8(ascii: "&"): out += Array("&amp;".utf8)
    case UInt8(ascii: "<"): out += Array("&lt;".utf8)
    default: out.append(b)
    }
  }
  for child in element.children { writeXML(child, into: &out) }
  out += Array("</k:\(element.name)>".utf8)
}

/// An ini file as read directly, then as the aws cli's config and credentials files (`.none`) or a euca2ools ini
/// file (`.semicolonAfterWhitespace`) that the resolver looks its profile, region and user sections up in.
private func iniFile(_ input: [UInt8], inlineComments: IniFile.InlineComments) {
  let text = String(decoding: input, as: UTF8.self)
  let ini = IniFile(parsing: text, inlineComments: inlineComments)
  for (name, settings) in ini.sections {
    for (key, value) in settings where ini.value(name, key) != value {
      fatalError("ini value lookup misses a parsed key")
    }
  }
  let files: [String: String] =
    inlineComments == .none
    ? ["/home/u/.aws/config": text, "/home/u/.aws/credentials": text]
    : ["/home/u/.euca/fuzz.ini": text, "/etc/euca2ools/euca2ools.ini": text]
  resolve(files: files)
}

/// A eucarc: the line parser directly, then the resolver reading it as `~/.eucarc`.
private func eucarc(_ input: [UInt8]) {
  let text = String(decoding: input, as: UTF8.self)
  _ = CloudConfigResolver.parseEucarc(text, directory: "/home/u/.euca")
  resolve(files: ["/home/u/.eucarc": text])
}

/// Runs endpoint and credential resolution over in-memory files with no environment, with and without a
/// `--region` taken from the files' own words, so region and user lookups run over names the input chose.
private func resolve(files: [String: String]) {
  let resolver = CloudConfigResolver(env: [:], home: "/home/u", files: .memory(files))
  _ = try? resolver.resolve()
  let words = files.values.first.map { $0.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "=" }) } ?? []
  if let word = words.last {
    _ = try? resolver.resolve(.init(regions: [String(word)]))
  }
}

/// The audit report records format: whatever decodes must encode to text that decodes to the same report, and
/// encoding that report again must give the same text.
private func auditRecords(_ input: [UInt8]) {
  guard let report = try? AuditReport(records: String(decoding: input, as: UTF8.self)) else { return }
  let text = report.encodeRecords()
  guard let again = try? AuditReport(records: text) else { fatalError("encoded audit records do not decode") }
  if again != report { fatalError("audit records decode, encode, decode changed the report") }
  if again.encodeRecords() != text { fatalError("audit records encoding is not stable") }
}

/// The `status@keyhold` reply's contents, as `keyhold status` reads them from whatever answers on SSH_AUTH_SOCK:
/// readers ignore what follows the fields they know, so a status that decodes must encode to a prefix of its input,
/// which decodes to the same status.
private func agentStatus(_ input: [UInt8]) {
  guard let status = AgentStatus.decode(input) else { return }
  let bytes = status.encode()
  if !input.starts(with: bytes) { fatalError("agent status encoding is not a prefix of what it was decoded from") }
  if AgentStatus.decode(bytes) != status { fatalError("agent status decode, encode, decode changed the status") }
}

/// What a client hands the agent inside a sign request: the data to sign, read as a user authentication request to
/// check destination constraints (PROTOCOL.agent §2), and the blobs inside it (key, host key) and beside it (the
/// session-bind signature), each as a public key blob and as a signature blob. Blob decoding is strict, so whatever
/// decodes must encode to the same bytes.
private func signedData(_ input: [UInt8]) {
  var blobs = [input]
  if let auth = UserAuthRequest.parse(input) {
    blobs.append(auth.keyBlob)
    if let hostKey = auth.hostKey { blobs.append(hostKey) }
  }
  for blob in blobs {
    if let key = try? PublicKeyBlob(decoding: blob), key.encoded() != blob {
      fatalError("public key blob decode then encode changed the bytes")
    }
    guard let sig = try? SignatureBlob(decoding: blob) else { continue }
    if sig.encoded() != blob { fatalError("signature blob decode then encode changed the bytes") }
    if let values = try? SignatureBlob.ECDSAValues(decoding: sig.signature), values.encoded() != sig.signature {
      fatalError("ecdsa signature values decode then encode changed the bytes")
    }
  }
}

/// Drives SSHReader with the input itself choosing each read, so every method meets every kind of truncation.
private func readerOps(_ input: [UInt8]) {
  guard let plan = input.first else { return }
  var reader = SSHReader(Array(input.dropFirst()))
  var op = plan
  while !reader.isAtEnd {
    do {
      switch op % 9 {
      case 0: _ = try reader.readByte()
      case 1: _ = try reader.readBool()
      case 2: _ = try reader.readUInt32()
      case 3: _ = try reader.readUInt64()
      case 4: _ = try reader.readString()
      case 5: _ = try reader.readUTF8()
      case 6: _ = try reader.readPositiveMPInt()
      case 7: _ = try reader.readNameList()
      default: _ = try reader.readBytes(Int(op))
      }
    } catch {
      return
    }
    op = op &* 31 &+ 7
  }
}

/// `body` behind a vault prefix of `version` and before a correct checksum: a file whose envelope always checks out.
private func vaultEnvelope(_ body: [UInt8], version: UInt32) -> [UInt8] {
  var w = SSHWriter()
  w.writeBytes(VaultFile.magic)
  w.writeUInt32(version)
  let total = UInt64(VaultFile.prefixSize + body.count + VaultFile.checksumSize)
  w.writeUInt64(total)
  w.writeUInt64(~total)
  w.writeBytes(body)
  return w.bytes + Sodium.hash(w.bytes)
}

/// Feeds the agent frame decoder in two pieces and decodes each frame as a request and as a reply; whatever decodes
/// must re-encode to the same bytes (canonical agent messages).
private func agentFrames(_ input: [UInt8]) {
  var decoder = FrameDecoder()
  let cut = input.isEmpty ? 0 : Int(input[0]) % (input.count + 1)
  for piece in [input[..<cut], input[cut...]] {
    decoder.append(piece)
    while let frame = try? decoder.next() {
      if let request = try? AgentRequest.decode(frame), request.encode() != frame {
        fatalError("agent request decode then encode changed the bytes")
      }
      if let response = try? AgentResponse.decode(frame), response.encode() != frame {
        fatalError("agent response decode then encode changed the bytes")
      }
    }
  }
}
