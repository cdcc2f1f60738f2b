import ArgumentParser
import KeyholdSystem
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold keygen`: generates a key pair and writes it as an unencrypted OpenSSH private key file.
struct KeygenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keygen",
    abstract: "Generate a new SSH key pair.",
    discussion: """
      Writes the private key in OpenSSH format (unencrypted) to standard output, or with -f to FILE (mode 0600) \
      and the public key to FILE.pub. Pipe the output into `keyhold import` to keep the key only in the vault.
      """)

  /// The key types `-t` accepts, named as ssh-keygen names them.
  enum KeyType: String, ExpressibleByArgument, CaseIterable {
    case ed25519, ecdsa, rsa
  }

  @Option(name: .customShort("t"), help: ArgumentHelp("Key type.", valueName: "type"))
  var type: KeyType = .ed25519

  @Option(
    name: .customShort("b"),
    help: ArgumentHelp(
      "Key size in bits: RSA 2048-16384 (default 3072), ECDSA 256, 384 or 521 (default 256).",
      valueName: "bits"))
  var bits: Int?

  @Option(
    name: .customShort("C"),
    help: ArgumentHelp(
      "Comment stored with the key (default user@host).",
      valueName: "comment"))
  var comment: String?

  @Option(
    name: .customShort("f"),
    help: ArgumentHelp(
      "Write the private key to FILE and the public key to FILE.pub.",
      valueName: "file"))
  var file: String?

  @Flag(name: .long, help: "Overwrite FILE and FILE.pub when they exist.")
  var force = false

  func validate() throws {
    if force && file == nil { throw ValidationError("--force only applies together with -f FILE") }
    if type == .ed25519, let bits, bits != 256 { throw ValidationError("ed25519 keys have a fixed size; drop -b") }
  }

  func run() throws {
    try runReportingErrors {
      let algorithm: KeyAlgorithm
      switch type {
      case .ed25519: algorithm = .ed25519
      case .rsa: algorithm = .rsa
      case .ecdsa:
        switch bits ?? 256 {
        case 256: algorithm = .ecdsaP256
        case 384: algorithm = .ecdsaP384
        case 521: algorithm = .ecdsaP521
        default:
          throw CLIError("ecdsa keys are 256, 384 or 521 bits, not \(bits ?? 0)", hint: "use -b 256, -b 384 or -b 521")
        }
      }
      let key: PrivateKey
      do {
        key = try PrivateKey.generate(
          algorithm, bits: type == .ed25519 ? nil : bits, comment: comment ?? KeygenCommand.defaultComment())
      } catch let error as KeyError {
        throw CLIError(error.description, hint: type == .rsa ? "RSA keys must be 2048 to 16384 bits" : nil)
      }
      let privateText = key.openSSHPrivateKeyFile()
      guard let file else {
        try writeAll(1, Array(privateText.utf8))
        return
      }
      let publicPath = file + ".pub"
      if !force {
        for path in [file, publicPath] where KeygenCommand.exists(path) {
          throw CLIError("\(path) already exists", hint: "choose another -f FILE, or pass --force to overwrite it")
        }
      }
      try KeygenCommand.writeFile(file, Array(privateText.utf8), mode: 0o600)
      try KeygenCommand.writeFile(
        publicPath, Array((key.publicKey.openSSHLine(comment: key.comment) + "\n").utf8),
        mode: 0o644)
      print(
        "\(key.publicKey.bits) \(key.publicKey.sha256Fingerprint) \(key.comment) (\(KeygenCommand.label(algorithm)))")
    }
  }

  /// The type label `ssh-keygen -l` prints after a fingerprint.
  static func label(_ algorithm: KeyAlgorithm) -> String {
    switch algorithm {
    case .ed25519: return "ED25519"
    case .ecdsaP256, .ecdsaP384, .ecdsaP521: return "ECDSA"
    case .rsa: return "RSA"
    }
  }

  /// `user@host`, as ssh-keygen's default comment.
  static func defaultComment() -> String {
    var host = [CChar](repeating: 0, count: 256)
    gethostname(&host, host.count - 1)
    let hostName = String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let user = getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "user"
    return "\(user)@\(hostName)"
  }

  static func exists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
  }

  /// Writes `bytes` to `path` through a temporary file in the same folder, private while it is written (so the
  /// private key is never readable by others, not even briefly), synced, renamed into place, the folder synced.
  /// A symbolic link at `path` is replaced, not followed.
  static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
    do {
      try AtomicFile.replace(resolved: path, contents: bytes, mode: UInt32(mode))
    } catch {
      throw CLIError(error.description)
    }
  }
}
