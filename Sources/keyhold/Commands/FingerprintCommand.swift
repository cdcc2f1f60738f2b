import ArgumentParser
import Audit
import Foundation
import SSHKeys

/// `keyhold fingerprint FILE|-`: what a key file is, and every fingerprint a cloud may show for it.
struct FingerprintCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fingerprint",
    abstract: "Print the type and every fingerprint of a key file.",
    discussion: """
      Reads PEM (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, legacy encrypted PEM), DER, OpenSSH private keys, .pub \
      lines, RFC 4716 public keys, PEM PUBLIC KEY (SubjectPublicKeyInfo, as openssl pkey -pubout writes) and its \
      DER form, and the output of euca-add-keypair and aws ec2 create-key-pair. Asks for a passphrase only when \
      the key is encrypted.
      """)

  @Argument(help: ArgumentHelp("The key file, or - for standard input.", valueName: "file"), completion: .file())
  var file: String

  @Flag(help: "Print one JSON object instead of labelled lines.")
  var json = false

  @Option(
    name: .customLong("passphrase-fd"),
    help: ArgumentHelp("Read the passphrase from file descriptor N (one line).", valueName: "n"), completion: .none)
  var passphraseFD: Int32?

  func validate() throws {
    if file == "-" && passphraseFD == 0 {
      throw ValidationError(
        "--passphrase-fd 0 and - both read standard input; give the passphrase on another descriptor")
    }
  }

  func run() throws {
    try runReportingErrors {
      let data = try readInput(file)
      let source = PassphraseSource(fd: passphraseFD)
      let label = file == "-" ? "standard input" : file
      let parsed: ParsedKeyFile
      do {
        parsed = try KeyFile.parse(data, passphrase: { try source.read(prompt: "Enter passphrase for \(label): ") })
      } catch let e as KeyError {
        throw CLIError("\(label): \(e)", hint: Self.hint(for: e))
      }
      let report = FingerprintReport(parsed, file: file)
      print(json ? report.json() : report.text(), terminator: "")
    }
  }

  static func hint(for error: KeyError) -> String? {
    switch error {
    case .passphraseRequired: return "pass the passphrase with --passphrase-fd N"
    case .unrecognizedFormat:
      return
        "keyhold reads PEM, DER, OpenSSH private keys, .pub lines, RFC 4716, PEM PUBLIC KEY and aws/euca2ools key "
        + "pair output"
    case .unsupportedKeyType:
      return "keyhold holds ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa keys of 2048 bits or more"
    default: return nil
    }
  }
}

/// What `keyhold fingerprint` prints, in text or JSON.
struct FingerprintReport: Encodable {
  /// The file name given (`-` for standard input).
  var file: String
  var type: String
  var bits: Int
  var comment: String
  var certificate: Bool
  var container: String
  var encrypted: Bool
  var `private`: Bool
  /// Labelled fingerprints in print order: OpenSSH's two, then the cloud kinds.
  var fingerprints: [(kind: String, value: String)]
  var cloud: Cloud?

  /// What a cloud tool's output said about the key pair, and which formulas reproduce its fingerprint.
  struct Cloud: Encodable {
    var wrapper: String
    var keyName: String?
    var keyPairId: String?
    var fingerprint: String?
    var matches: [String]

    enum CodingKeys: String, CodingKey {
      case wrapper
      case keyName = "key_name"
      case keyPairId = "key_pair_id"
      case fingerprint, matches
    }

    // keyhold(1) JSON OUTPUT: absent values are null, never left out.
    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(wrapper, forKey: .wrapper)
      try c.encode(keyName, forKey: .keyName)
      try c.encode(keyPairId, forKey: .keyPairId)
      try c.encode(fingerprint, forKey: .fingerprint)
      try c.encode(matches, forKey: .matches)
    }
  }

  init(_ parsed: ParsedKeyFile, file: String) {
    let pub = parsed.publicKey
    self.file = file
    type = pub.algorithm.rawValue
    bits = pub.bits
    comment = parsed.comment
    certificate = pub.isCertificate
    container = parsed.container.rawValue
    encrypted = parsed.wasEncrypted
    `private` = parsed.privateKey != nil
    let cloudKinds = parsed.privateKey?.cloudFingerprints() ?? pub.cloudFingerprints()
    fingerprints = [("sha256", pub.sha256Fingerprint), ("md5", pub.md5Fingerprint)]
    for kind in CloudFingerprintKind.allCases {
      if let value = cloudKinds[kind] { fingerprints.append((kind.rawValue, value)) }
    }
    if parsed.wrapper != .none {
      let reported = parsed.cloudFingerprint.map(Reconciler.normalize)
      cloud = Cloud(
        wrapper: parsed.wrapper.rawValue, keyName: parsed.cloudKeyName, keyPairId: parsed.keyPairID,
        fingerprint: parsed.cloudFingerprint,
        matches: fingerprints.filter { reported != nil && Reconciler.normalize($0.value) == reported }.map(\.kind))
    } else {
      cloud = nil
    }
  }

  func text() -> String {
    var rows: [(String, String)] = [
      ("type", certificate ? "\(type) (certificate)" : type),
      ("bits", String(bits)),
      ("comment", comment),
      ("container", encrypted ? "\(container), encrypted" : container),
      ("key", `private` ? "private" : "public only"),
    ]
    rows += fingerprints.map { ($0.kind, $0.value) }
    if let cloud {
      rows.append(("wrapper", cloud.wrapper))
      if let n = cloud.keyName { rows.append(("cloud-key-name", n)) }
      if let i = cloud.keyPairId { rows.append(("cloud-key-pair-id", i)) }
      if let f = cloud.fingerprint { rows.append(("cloud-fingerprint", f)) }
      rows.append(("cloud-match", cloud.matches.isEmpty ? "none" : cloud.matches.joined(separator: ", ")))
    }
    let width = rows.map(\.0.count).max() ?? 0
    return rows.map { "\($0.0):" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 + "\n" }.joined()
  }

  func json() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(self) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  enum CodingKeys: String, CodingKey {
    case file, type, bits, comment, certificate, container, encrypted, `private`, fingerprints, cloud
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(file, forKey: .file)
    try c.encode(type, forKey: .type)
    try c.encode(bits, forKey: .bits)
    try c.encode(comment.isEmpty ? nil : comment, forKey: .comment)
    try c.encode(certificate, forKey: .certificate)
    try c.encode(container, forKey: .container)
    try c.encode(encrypted, forKey: .encrypted)
    try c.encode(`private`, forKey: .private)
    try c.encode(Dictionary(uniqueKeysWithValues: fingerprints.map { ($0.kind, $0.value) }), forKey: .fingerprints)
    try c.encode(cloud, forKey: .cloud)
  }
}
