import ArgumentParser
import SSHKeys
import Vault

/// The options every vault command shares: where the vault is and where passphrases come from.
struct VaultOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "The vault file (default: $KEYHOLD_VAULT, else $XDG_DATA_HOME/keyhold/vault).", valueName: "path"))
  var vault: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Read passphrases from this file descriptor, one per line, instead of the terminal.", valueName: "fd"))
  var passphraseFd: Int32?

  /// The resolved vault path.
  func path() throws -> String { try VaultLocation.resolve(option: vault) }

  /// The store for the resolved path; `KEYHOLD_LOCK_TIMEOUT` (seconds) bounds the wait for another writer.
  func store() throws -> VaultStore {
    var store = VaultStore(path: try path())
    if let text = VaultLocation.currentEnvironment()["KEYHOLD_LOCK_TIMEOUT"], let seconds = Double(text), seconds >= 0 {
      store.lockTimeout = seconds
    }
    return store
  }

  /// Where vault passphrases come from.
  var passphrases: PassphraseSource { PassphraseSource(fd: passphraseFd) }

  /// Reads the vault passphrase.
  func readPassphrase() throws -> SecureBytes { try passphrases.read(prompt: "Vault passphrase: ") }
}
