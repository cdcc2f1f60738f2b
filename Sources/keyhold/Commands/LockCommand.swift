import AgentServer
import ArgumentParser

/// `keyhold lock`: seals the vault inside the running agent and forgets its keys.
struct LockCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lock",
    abstract: "Seal the vault inside the running agent; keys added with ssh-add stay.")

  func run() throws {
    try runReportingErrors {
      let client = try AgentConnection.connect()
      switch try AgentConnection.call(client, .extension(.vaultLock)) {
      case .success: printError("Vault locked.")
      case .extensionFailure: throw CLIError("the agent has no vault", hint: "start it with --vault PATH")
      default: throw AgentConnection.notKeyholdError
      }
    }
  }
}
