import AgentServer
import ArgumentParser
import KeyholdCrypto
import SSHKeys
import SSHWire
import Vault

/// `keyhold unlock`: opens the vault inside the running agent.
struct UnlockCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock",
    abstract: "Open the vault inside the running agent, so ssh can use its keys.")

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Seal the vault again after DURATION (seconds, or ssh time format such as 30m, 8h).", valueName: "DURATION"))
  var timeout: String?

  @Option(name: .long, help: ArgumentHelp("Read the passphrase from descriptor N.", valueName: "N"))
  var passphraseFd: Int32?

  func validate() throws {
    if let timeout, SSHTimeSpec.seconds(timeout) == nil { throw ValidationError("invalid duration: \(timeout)") }
  }

  /// Why the agent may have refused: its answer carries no reason (PROTOCOL.agent's SSH_AGENT_EXTENSION_FAILURE is
  /// one byte), so the vault the agent serves by default is examined here with the same passphrase. A missing,
  /// damaged or altered vault is named as such; only an intact one leaves the passphrase as the mistake.
  static func diagnose(_ passphrase: SecureBytes) -> CLIError {
    guard let path = try? VaultLocation.resolve(option: nil) else {
      return CLIError("the agent could not open the vault", hint: "`keyhold agent -d` logs the reason")
    }
    let store = VaultStore(path: path)
    guard store.exists else {
      return CLIError(
        "the agent could not open the vault: no vault at \(path)",
        hint: "create one with `keyhold init`, or start the agent with the vault it should serve")
    }
    do {
      let kdf = try store.readPublic().kdf
      _ = try KDFProgress.run(kdf) { try store.readPublicVerified(passphrase: passphrase) }
    } catch let e as VaultError {
      if case .wrongPassphrase = e {
        return CLIError("the agent could not open the vault: incorrect vault passphrase", hint: "check the passphrase")
      }
      return CLIError("the agent could not open the vault: \(e)", hint: cliError(e).hint)
    } catch {
      return CLIError("the agent could not open the vault: \(error)")
    }
    return CLIError(
      "the agent could not open the vault, though the passphrase opens \(path)",
      hint: "the agent may serve another vault (--vault); `keyhold agent -d` logs the reason")
  }

  /// Whether the agent serves a vault: an agent started with `--no-vault` leaves the vault extensions out of its
  /// `query` reply. An agent that does not answer `query` is given the benefit of the doubt.
  static func agentHasVault(_ client: AgentClient) -> Bool {
    guard case .extensionResponse(.query(let names))? = try? client.call(.extension(.query)) else { return true }
    return names.contains(AgentExtensionRequest.Name.vaultUnlock)
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
        if !Self.agentHasVault(client) {
          throw CLIError(
            "the agent was started with --no-vault",
            hint: "restart it without --no-vault (it then serves the default vault), or with --vault PATH")
        }
        throw Self.diagnose(passphrase)
      default:
        throw AgentConnection.notKeyholdError
      }
    }
  }
}
