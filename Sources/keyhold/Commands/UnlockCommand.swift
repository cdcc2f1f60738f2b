import AgentServer
import ArgumentParser
import SSHKeys
import SSHWire

/// `keyhold unlock`: opens the vault inside the running agent.
struct UnlockCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock",
    abstract: "Open the vault inside the running agent, so ssh can use its keys.")

  @Option(
    name: .long,
    help: ArgumentHelp("Seal the vault again after DURATION (seconds, or ssh time format such as 30m, 8h).", valueName: "DURATION"))
  var timeout: String?

  @Option(name: .long, help: ArgumentHelp("Read the passphrase from descriptor N.", valueName: "N"))
  var passphraseFd: Int32?

  func validate() throws {
    if let timeout, SSHTimeSpec.seconds(timeout) == nil { throw ValidationError("invalid duration: \(timeout)") }
  }

  func run() throws {
    try runReportingErrors {
      let client = try AgentConnection.connect()
      let seconds = timeout.flatMap(SSHTimeSpec.seconds) ?? 0
      let passphrase = try PassphraseSource(fd: passphraseFd).read(prompt: "Enter passphrase for the keyhold vault: ")
      var bytes = passphrase.unsafeCopy()
      defer { SecureBytes.wipe(&bytes) }
      let reply = try AgentConnection.call(client, .extension(.vaultUnlock(passphrase: bytes, timeoutSeconds: seconds)))
      switch reply {
      case .success:
        printError(seconds > 0 ? "Vault unlocked for \(seconds) seconds." : "Vault unlocked.")
      case .extensionFailure:
        throw CLIError(
          "the agent could not open the vault", hint: "check the passphrase; `keyhold agent -d` logs the reason")
      default:
        throw AgentConnection.notKeyholdError
      }
    }
  }
}
