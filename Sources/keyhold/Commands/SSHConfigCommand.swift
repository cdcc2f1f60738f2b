import ArgumentParser
import HostBook
import KeyholdCore
import KeyholdSystem
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold ssh-config [--write FILE]`: an ssh_config fragment for the running instances the last sync saw.
struct SSHConfigCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ssh-config",
    abstract: "Print an ssh_config fragment (for Include) with a Host block per running instance (no passphrase).")

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The vault file (default: $KEYHOLD_VAULT, else $XDG_DATA_HOME/keyhold/vault).", valueName: "path"),
    completion: .file())
  var vault: String?

  @Option(
    name: .long,
    help: ArgumentHelp("Replace FILE atomically with the fragment instead of printing it.", valueName: "file"),
    completion: .file())
  var write: String?

  func run() throws {
    try runReportingErrors {
      let path = try VaultLocation.resolve(option: vault)
      let view = try withVaultErrors { try VaultStore(path: path).readPublic() }
      // The IdentityFile lines name these files, so they are brought up to date before the fragment names them.
      let files = try withUseCaseErrors { try PublicKeyFiles(vaultPath: path).refresh(view) }
      let instances = try readInstances(vaultPath: path)
      let text = InstanceHostFiles.sshConfig(instances, files: files)
      guard let write else { return try writeStdout(text) }
      do { try AtomicFile.replace(path: write, contents: Array(text.utf8), mode: 0o600) } catch {
        throw CLIError("cannot write \(write): \(error)")
      }
    }
  }
}

/// The instances file of a vault, or a one-line error naming it.
func readInstances(vaultPath: String) throws -> [CloudInstance] {
  do { return try HostBook(vaultPath: vaultPath).instances() } catch {
    throw CLIError("\(error)", hint: "`keyhold sync` writes it anew")
  }
}

/// Brings the public key files `keyhold ssh-config` names up to date after a command changed the vault; nothing
/// happens when `ssh-config` never made them. A failure here does not fail the command that changed the vault.
func refreshPublicKeyFiles(_ store: VaultStore) {
  let files = PublicKeyFiles(vaultPath: store.path)
  guard access(files.directory, F_OK) == 0, let view = try? store.readPublic() else { return }
  _ = try? files.refresh(view)
}
