import ArgumentParser
import Foundation
import SSHKeys
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold import`: stores a private key from a file or standard input, including cloud tools' output.
struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract:
      "Store a private key in the vault, from a file or from euca-add-keypair / aws output on stdin."
  )

  @OptionGroup var vault: VaultOptions

  @Argument(
    help: ArgumentHelp("The key file, or - for standard input (the default).", valueName: "file"))
  var file: String = "-"

  @Option(
    help: ArgumentHelp(
      "The key's name in the vault (default: the cloud key pair name, else the file name).",
      valueName: "name"))
  var name: String?

  @Option(
    help: ArgumentHelp(
      "The cloud the key pair lives in: an endpoint URL or a profile name.", valueName: "cloud"))
  var cloud: String?

  @Option(help: ArgumentHelp("The region the key pair lives in.", valueName: "region"))
  var region: String?

  @Flag(help: "Overwrite and remove the key file once the vault holding it is safely on disk.")
  var shred = false

  @Flag(help: "Replace a key of the same name or the same public key.")
  var force = false

  @Option(
    help: ArgumentHelp(
      "Read the key file's passphrase from this descriptor (default: the line after the vault passphrase on --passphrase-fd, else the terminal).",
      valueName: "fd"))
  var keyPassphraseFd: Int32?

  func validate() throws {
    if shred && file == "-" {
      throw ValidationError("--shred needs a FILE: there is nothing to remove on standard input")
    }
    if file == "-" && (vault.passphraseFd == 0 || keyPassphraseFd == 0) {
      throw ValidationError(
        "standard input carries the key; read passphrases from another descriptor")
    }
    if let name { do { try VaultName.validate(name) } catch { throw ValidationError("\(error)") } }
  }

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      // Fail before reading anything when there is no vault.
      _ = try withVaultErrors { try store.readPublic() }
      // With one descriptor for both, the vault passphrase is its first line and the key's the second.
      var vaultPassphrase: SecureBytes? =
        vault.passphraseFd != nil ? try vault.readPassphrase() : nil
      if file == "-" && isatty(0) == 1 {
        throw CLIError(
          "no key on standard input (it is a terminal)",
          hint: "pipe euca-add-keypair or aws ec2 create-key-pair output into keyhold import, or give a key FILE")
      }
      let data = try readInput(file)
      let source = file == "-" ? "standard input" : file
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
      let keyName = try chooseName(parsed)
      var bindings: [VaultBinding] = []
      if parsed.cloudKeyName != nil || cloud != nil || region != nil {
        bindings.append(
          VaultBinding(
            cloud: cloud ?? "", region: region ?? "", keyName: parsed.cloudKeyName ?? keyName,
            cloudFingerprint: parsed.cloudFingerprint ?? "", keyPairID: parsed.keyPairID ?? "",
            flags: parsed.wrapper == .none ? [] : .createdByCloud))
      }
      if vaultPassphrase == nil { vaultPassphrase = try vault.readPassphrase() }
      let entry = try withVaultErrors {
        try store.add(
          [
            VaultNewKey(
              name: keyName, privateKey: key,
              comment: parsed.comment.isEmpty ? nil : parsed.comment, bindings: bindings)
          ],
          passphrase: vaultPassphrase!, force: force)
      }[0]
      // The vault write above is durable (fsync of the file and its folder) before the source goes.
      if shred { try shredFile(file) }
      try writeStdout(
        "imported \(entry.name) (\(entry.algorithm), \(VaultPresentation.sha256(entry)))\n")
    }
  }

  /// The name: --name, else the cloud key pair name, else the file name without its extension.
  private func chooseName(_ parsed: ParsedKeyFile) throws -> String {
    if let name { return name }
    if let n = parsed.cloudKeyName, (try? VaultName.validate(n)) != nil { return n }
    if file != "-" {
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
    let wanted = normalize(given)
    if computed.values.contains(where: { normalize($0) == wanted }) { return }
    let list = CloudFingerprintKind.allCases.compactMap { k in
      computed[k].map { "\(k.rawValue) \($0)" }
    }
    throw CLIError(
      "the key does not match the fingerprint it came with: expected \(given), computed \(list.joined(separator: ", "))",
      hint:
        "the key material and the fingerprint\(keyName.map { " of key pair \($0)" } ?? "") were not made together"
    )
  }

  /// Hex fingerprints compare without case; base64 ones exactly.
  private static func normalize(_ f: String) -> String {
    let t = f.trimmingCharacters(in: .whitespaces)
    return t.contains(":") ? t.lowercased() : t
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
