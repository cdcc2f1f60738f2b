import ArgumentParser
import KeyholdCrypto
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// The `keyhold` command: a local keystore and SSH agent for cloud key pairs.
@main
struct Keyhold: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keyhold",
    abstract: "A local keystore and SSH agent for cloud key pairs.",
    version: KeyholdVersion.string,
    subcommands: Keyhold.allSubcommands
  )

  /// Runs the command line; invoked as `ssh-agent` or `keyhold-agent` (a symlink), the binary is `keyhold agent`.
  static func main() {
    var arguments = Array(CommandLine.arguments.dropFirst())
    let invokedAs = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
    if invokedAs == "ssh-agent" || invokedAs == "keyhold-agent" { arguments.insert("agent", at: 0) }
    // RSA and ECDSA private numbers go to OpenSSL's locked secure heap. The agent sets it up itself after it
    // forks (memory locks are not inherited); every other command does it here, before any key is built.
    if arguments.first != "agent" { OpenSSLSecureHeap.enable() }
    if arguments.first == "agent" {
      // ssh-agent's getopt rules (clustered flags, joined values, COMMAND after the options), not ArgumentParser's.
      let program = invokedAs == "ssh-agent" || invokedAs == "keyhold-agent" ? invokedAs : "keyhold agent"
      AgentCommand.main(Array(arguments.dropFirst()), program: program)
    }
    run(AuditCommand.withUnusedDefault(arguments))
  }

  /// Parses and runs one command line, reporting every error in keyhold's one voice (see `UsageReport`).
  static func run(_ arguments: [String]) -> Never {
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
      exit(withError: nil)
    } catch let code as ExitCode {
      // Thrown by `runReportingErrors` once the message is on standard error.
      exit(withError: code)
    } catch {
      // --help, --version and --generate-completion-script are "errors" that exit cleanly: leave them as they are.
      if exitCode(for: error) == .success { exit(withError: error) }
      let report = UsageReport(error: error, arguments: arguments)
      printError("keyhold: error: \(report.message)")
      printError("keyhold: hint: \(report.hint)")
      Glibc.exit(report.exitCode)
    }
  }
}

/// The release version.
enum KeyholdVersion {
  static let string = "0.2.0"
}
