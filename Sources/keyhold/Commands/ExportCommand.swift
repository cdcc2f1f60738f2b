import ArgumentParser
import KeyholdCrypto
import KeyholdSystem
import SSHKeys
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold export NAME`: writes a key out, as an OpenSSH private key file or a `.pub` line.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a key to stdout as an unencrypted OpenSSH private key file, or with --public as a .pub line.")

  @OptionGroup var vault: VaultOptions
  @OptionGroup var verification: VerifyOptions

  @Flag(help: "Write the public key line instead (no passphrase, no confirmation).")
  var `public` = false

  @Flag(help: "Do not ask for confirmation on the terminal before writing the private key.")
  var yes = false

  @Argument(help: "The key's name.", completion: KeyNameCompletion.kind)
  var name: String

  func run() throws {
    try runReportingErrors {
      let store = try vault.store()
      if `public` {
        // Others will trust this line (authorized_keys): verify it when a passphrase is at hand, else say it is not.
        let (view, verified) = try verification.read(vault)
        guard let entry = view.entry(named: name) else { throw cliError(.noSuchKey(name)) }
        let key: PublicKey
        do { key = try PublicKey(blob: entry.publicKeyBlob) } catch {
          throw CLIError("stored public key of \(name): \(error)")
        }
        try writeStdout(key.openSSHLine(comment: entry.comment) + "\n")
        if !verified { unverifiedNote("the public key of \(name)") }
        return
      }
      let view = try withVaultErrors { try store.readPublic() }
      guard view.entry(named: name) != nil else { throw cliError(.noSuchKey(name)) }
      if !yes { try confirm() }
      let passphrase = try vault.readPassphrase()
      let key = try KDFProgress.run(view.kdf) {
        try withVaultErrors { try store.unlockKey(named: name, passphrase: passphrase) }
      }
      var text = Array(key.privateKey.openSSHPrivateKeyFile().utf8)
      defer { SecureBytes.wipe(&text) }
      try writeAll(1, text)
    }
  }

  /// Asks on the terminal; without one, refuses (a script must say --yes).
  private func confirm() throws {
    guard let yes = Terminal.confirm("Write the private key \"\(name)\" unencrypted to standard output?") else {
      throw CLIError(
        "refusing to write a private key without confirmation and no terminal to ask on",
        hint: "add --yes to export it from a script")
    }
    guard yes else { throw CLIError("export cancelled") }
  }
}
