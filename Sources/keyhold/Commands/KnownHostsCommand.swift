import ArgumentParser
import HostBook
import KeyholdCore
import Vault

/// `keyhold known-hosts [-H]`: known_hosts lines for the instances whose consoles printed their host keys.
struct KnownHostsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "known-hosts",
    abstract: "Print known_hosts lines for instances whose host keys the last sync read from their consoles.")

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The vault file (default: $KEYHOLD_VAULT, else $XDG_DATA_HOME/keyhold/vault).", valueName: "path"),
    completion: .file())
  var vault: String?

  @Flag(name: .customShort("H"), help: "Hash the host names as ssh-keygen -H does.")
  var hash = false

  func run() throws {
    try runReportingErrors {
      let instances = try readInstances(vaultPath: try VaultLocation.resolve(option: vault))
      try writeStdout(InstanceHostFiles.knownHosts(instances, hashed: hash))
    }
  }
}
