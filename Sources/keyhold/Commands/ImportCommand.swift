import ArgumentParser
import Audit
import Foundation
import KeyholdCrypto
import SSHKeys
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold import`: stores private keys from files or standard input, including cloud tools' output.
///
/// Any number of keys go in with one vault passphrase and one vault write: several FILEs, or several
/// euca-add-keypair / aws ec2 create-key-pair outputs one after another on standard input. It is all or nothing:
/// when any key fails, each failure is named and nothing is stored (keyhold-import(1)).
struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract:
      "Store private keys in the vault, from files or from euca-add-keypair / aws output on stdin.",
    discussion: """
      Several FILEs, or several cloud tool outputs one after another on standard input, are imported with one \
      passphrase and one vault write. If any key fails, each failure is listed and nothing is stored.
      """
  )

  @OptionGroup var vault: VaultOptions

  @Argument(
    help: ArgumentHelp("Key files, or - for standard input (the default).", valueName: "file"),
    completion: .file())
  var files: [String] = []

  @Option(
    help: ArgumentHelp(
      "The key's name in the vault (default: the cloud key pair name, else the file name); one key only.",
      valueName: "name"))
  var name: String?

  @Option(
    help: ArgumentHelp(
      "The cloud the key pair lives in: an endpoint URL or a profile name.", valueName: "cloud"))
  var cloud: String?

  @Option(help: ArgumentHelp("The region the key pair lives in.", valueName: "region"))
  var region: String?

  @Flag(help: "Overwrite and remove the key files once the vault holding them is safely on disk.")
  var shred = false

  @Flag(help: "Replace a key of the same name or the same public key.")
  var force = false

  @Option(
    help: ArgumentHelp(
      "Read the key files' passphrases from this descriptor (default: the lines after the vault passphrase on --passphrase-fd, else the terminal).",
      valueName: "fd"),
    completion: .none)
  var keyPassphraseFd: Int32?

  /// The inputs, `-` (standard input) when none is given.
  private var inputs: [String] { files.isEmpty ? ["-"] : files }

  func validate() throws {
    if shred && inputs.contains("-") {
      throw ValidationError("--shred needs a FILE: there is nothing to remove on standard input")
    }
    if inputs.filter({ $0 == "-" }).count > 1 {
      throw ValidationError("standard input (-) can be given only once")
    }
    if inputs.contains("-") && (vault.passphraseFd == 0 || keyPassphraseFd == 0) {
      throw ValidationError(
        "standard input carries the key; read passphrases from another descriptor")
    }
    if let name { do { try VaultName.validate(name) } catch { throw ValidationError("\(error)") } }
  }

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      // Fail before reading anything when there is no vault.
      let view = try withVaultErrors { try store.readPublic() }
      // --shred must be able to keep its promise for every file before anything is stored.
      if shred { for file in inputs { try checkShreddable(file) } }
      // With one descriptor for both, the vault passphrase is its first line and the keys' the next ones.
      var vaultPassphrase: SecureBytes? = vault.passphraseFd != nil ? try vault.readPassphrase() : nil
      if inputs.contains("-") && isatty(0) == 1 {
        throw CLIError(
          "no key on standard input (it is a terminal)",
          hint: "pipe euca-add-keypair or aws ec2 create-key-pair output into keyhold import, or give a key FILE")
      }

      let candidates = try parseInputs()
      if name != nil && candidates.count > 1 {
        throw CLIError(
          "--name names one key, but the input holds \(candidates.count)",
          hint: "import the keys without --name: each takes its cloud key pair or file name")
      }
      let outcome = Self.checkBatch(candidates, force: force)
      // A single key keeps the plain one-error report; a batch names every failure, then refuses as a whole.
      if outcome.failures.count == 1 && candidates.count == 1, case .failure(let error) = candidates[0].result {
        throw error
      }
      if !outcome.failures.isEmpty {
        for failure in outcome.failures { try writeStdout("failed \(failure.source): \(failure.reason)\n") }
        throw CLIError(
          "\(outcome.failures.count) of \(candidates.count) keys could not be imported; nothing was stored",
          hint: "fix or leave out the keys named above, then run the import again")
      }

      if vaultPassphrase == nil { vaultPassphrase = try vault.readPassphrase() }
      let newKeys = outcome.keys.map(\.key)
      let entries = try KDFProgress.run(view.kdf) {
        try withVaultErrors { try store.add(newKeys, passphrase: vaultPassphrase!, force: force) }
      }
      // The vault write above is durable (fsync of the file and its folder) before any source goes.
      if shred { for file in inputs { try shredFile(file) } }
      refreshPublicKeyFiles(store)
      var lines = ""
      for entry in entries {
        lines += "imported \(entry.name) (\(entry.algorithm), \(VaultPresentation.sha256(entry)))\n"
      }
      try writeStdout(lines)
      let regionless = outcome.keys.filter(\.regionUnknown).map(\.key.name)
      if !regionless.isEmpty { printError(Self.regionNote(regionless)) }
    }
  }

  /// One key found in the input, or why it could not be read.
  struct Candidate {
    /// Where it came from: the file, or `standard input` (with its position when there are several).
    var source: String
    /// The key to store, or the error that names what is wrong with it.
    var result: Result<Staged, CLIError>
  }

  /// A key ready to store.
  struct Staged {
    /// What the vault stores.
    var key: VaultNewKey
    /// True when the key came from cloud tool output without --region: those outputs name no region.
    var regionUnknown: Bool
  }

  /// What a batch turned into: the keys to store, or the reasons it cannot be.
  struct BatchOutcome {
    var keys: [Staged]
    var failures: [(source: String, reason: String)]
  }

  /// Collects the failures of a batch, including two keys that would take the same name in the vault.
  static func checkBatch(_ candidates: [Candidate], force: Bool) -> BatchOutcome {
    var outcome = BatchOutcome(keys: [], failures: [])
    var seen: [String: String] = [:]
    for c in candidates {
      switch c.result {
      case .failure(let e): outcome.failures.append((c.source, e.message))
      case .success(let staged):
        if let first = seen[staged.key.name] {
          outcome.failures.append((c.source, "the name \(staged.key.name) is already taken by \(first) in this import"))
        } else {
          seen[staged.key.name] = c.source
          outcome.keys.append(staged)
        }
      }
    }
    return outcome
  }

  /// The note printed when cloud tool output came without `--region`.
  static func regionNote(_ names: [String]) -> String {
    let which = names.count == 1 ? "key pair \(names[0])" : "\(names.count) key pairs"
    return
      "keyhold: note: the region of \(which) is unknown (cloud tool output names none); the next `keyhold sync` "
      + "finds \(names.count == 1 ? "it" : "them") by fingerprint"
  }

  /// Reads and parses every input; standard input may hold several keys one after another.
  private func parseInputs() throws -> [Candidate] {
    var candidates: [Candidate] = []
    for file in inputs {
      if file == "-" {
        var data = try readInput("-", limit: KeyInput.maxStandardInputBytes)
        defer { SecureBytes.wipe(&data) }
        var chunks = KeyStream.split(data)
        defer { for i in chunks.indices { SecureBytes.wipe(&chunks[i]) } }
        for (i, chunk) in chunks.enumerated() {
          let source = chunks.count == 1 ? "standard input" : "standard input, key \(i + 1)"
          candidates.append(Candidate(source: source, result: stage(chunk, source: source, file: nil)))
        }
      } else {
        do {
          var data = try readInput(file, limit: KeyInput.maxBytes)
          defer { SecureBytes.wipe(&data) }
          candidates.append(Candidate(source: file, result: stage(data, source: file, file: file)))
        } catch let e as CLIError {
          candidates.append(Candidate(source: file, result: .failure(e)))
        }
      }
    }
    return candidates
  }

  /// Parses one key and works out its name and bindings.
  private func stage(_ data: [UInt8], source: String, file: String?) -> Result<Staged, CLIError> {
    do {
      let keyPassphrase: () throws -> SecureBytes = {
        if let fd = keyPassphraseFd { return try PassphraseSource(fd: fd).read(prompt: "") }
        // Never standard input: it may carry the key. PassphraseSource without a descriptor reads /dev/tty.
        return try vault.passphrases.read(prompt: "Passphrase for the key in \(source): ")
      }
      let parsed: ParsedKeyFile
      do {
        parsed = try KeyFile.parse(data, passphrase: keyPassphrase)
      } catch let e as KeyError {
        throw CLIError("cannot read \(source): \(e)", hint: hint(for: e))
      }
      guard let key = parsed.privateKey else {
        throw CLIError(
          "\(source) holds only a public key",
          hint: "keyhold stores private keys; import the private key file")
      }
      if let given = parsed.cloudFingerprint, !given.isEmpty {
        try Self.checkFingerprint(given, of: key, keyName: parsed.cloudKeyName)
      }
      let keyName = try chooseName(parsed, file: file)
      var bindings: [VaultBinding] = []
      let fromCloudTool = parsed.wrapper != .none
      if parsed.cloudKeyName != nil || cloud != nil || region != nil {
        // euca2ools and aws output name no region: "" records "unknown" until sync finds the key pair.
        bindings.append(
          VaultBinding(
            cloud: cloud ?? "", region: region ?? "", keyName: parsed.cloudKeyName ?? keyName,
            cloudFingerprint: parsed.cloudFingerprint ?? "", keyPairID: parsed.keyPairID ?? "",
            flags: fromCloudTool ? .createdByCloud : []))
      }
      let newKey = VaultNewKey(
        name: keyName, privateKey: key, comment: parsed.comment.isEmpty ? nil : parsed.comment, bindings: bindings)
      return .success(Staged(key: newKey, regionUnknown: fromCloudTool && region == nil))
    } catch let e as CLIError {
      return .failure(e)
    } catch {
      return .failure(CLIError("cannot read \(source): \(error)"))
    }
  }

  /// Refuses, before anything is stored, a file `--shred` could not overwrite and remove.
  private func checkShreddable(_ file: String) throws {
    var st = stat()
    guard lstat(file, &st) == 0 else {
      throw CLIError("cannot shred \(file): \(String(cString: strerror(errno)))")
    }
    let hint = "import it without --shred, then remove it yourself"
    switch st.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFLNK:
      throw CLIError("cannot shred \(file): it is a symbolic link (shred the file it points to)", hint: hint)
    default: throw CLIError("cannot shred \(file): not a regular file", hint: hint)
    }
    guard access(file, W_OK) == 0 else {
      throw CLIError("cannot shred \(file): no write permission", hint: hint)
    }
    let dir = file.lastIndex(of: "/").map { String(file[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
    guard access(dir, W_OK | X_OK) == 0 else {
      throw CLIError("cannot shred \(file): no write permission on its folder \(dir)", hint: hint)
    }
  }

  /// The name: --name, else the cloud key pair name, else the file name without its extension.
  private func chooseName(_ parsed: ParsedKeyFile, file: String?) throws -> String {
    if let name { return name }
    if let n = parsed.cloudKeyName, (try? VaultName.validate(n)) != nil { return n }
    if let file {
      var base = String(file.split(separator: "/").last ?? "")
      for ext in [".pem", ".key", ".private", ".priv"]
      where base.hasSuffix(ext) && base.count > ext.count {
        base.removeLast(ext.count)
      }
      if (try? VaultName.validate(base)) != nil { return base }
    }
    throw CLIError("the key has no name", hint: "give it one with --name NAME")
  }

  /// Refuses a key whose fingerprints do not include the one the cloud tool printed with it.
  static func checkFingerprint(_ given: String, of key: PrivateKey, keyName: String?) throws {
    let computed = key.cloudFingerprints()
    let wanted = Reconciler.normalize(given)
    if computed.values.contains(where: { Reconciler.normalize($0) == wanted }) { return }
    let list = CloudFingerprintKind.allCases.compactMap { k in
      computed[k].map { "\(k.rawValue) \($0)" }
    }
    throw CLIError(
      "the key does not match the fingerprint it came with: expected \(given), computed \(list.joined(separator: ", "))",
      hint:
        "the key material and the fingerprint\(keyName.map { " of key pair \($0)" } ?? "") were not made together"
    )
  }

  private func hint(for error: KeyError) -> String? {
    switch error {
    case .passphraseRequired:
      return "the key is encrypted: give its passphrase on a terminal or with --key-passphrase-fd"
    case .wrongPassphrase: return "this is the key file's own passphrase, not the vault's"
    case .unrecognizedFormat:
      return
        "keyhold reads PEM, DER and OpenSSH keys, and euca-add-keypair / aws ec2 create-key-pair output"
    default: return nil
    }
  }
}
