import AgentServer
import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold agent`: an SSH agent that takes ssh-agent's flags and also serves the vault's keys.
struct AgentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agent",
    abstract: "Run an SSH agent that serves the vault's keys (a drop-in replacement for ssh-agent).",
    discussion: """
      Without COMMAND the agent forks into the background and prints shell commands that set SSH_AUTH_SOCK and \
      SSH_AGENT_PID; use it as eval "$(keyhold agent -s)". With COMMAND it runs COMMAND with those variables set \
      and exits when COMMAND exits, with its status.
      """)

  @Option(name: .customShort("a"), help: ArgumentHelp("Bind the agent to the Unix socket SOCK.", valueName: "SOCK"))
  var bindAddress: String?

  @Flag(name: .customShort("c"), help: "Print C-shell commands on standard output.")
  var cshell = false

  @Flag(name: .customShort("s"), help: "Print Bourne shell commands on standard output.")
  var bourne = false

  @Flag(name: .customShort("D"), help: "Foreground mode: do not fork.")
  var foreground = false

  @Flag(name: .customShort("d"), help: "Debug mode: do not fork, log every request to standard error.")
  var debug = false

  @Flag(name: .customShort("k"), help: "Kill the agent named by SSH_AGENT_PID.")
  var kill = false

  @Option(
    name: .customShort("t"),
    help: ArgumentHelp("Default lifetime of added keys (seconds, or ssh time format such as 5m, 1h30m).", valueName: "LIFE"))
  var lifetime: String?

  @Option(
    name: .customShort("E"),
    help: ArgumentHelp("Fingerprint hash in prompts and logs: sha256 (default) or md5.", valueName: "HASH"))
  var fingerprintHash: String = "sha256"

  @Option(
    name: .customShort("O"),
    help: ArgumentHelp("An ssh-agent option; accepted for compatibility, has no effect.", valueName: "OPTION"))
  var agentOptions: [String] = []

  @Option(
    name: .customShort("P"),
    help: ArgumentHelp("Allowed PKCS#11 providers; accepted for compatibility (smartcards are refused).", valueName: "LIST"))
  var providers: String?

  @Option(name: .long, help: ArgumentHelp("The vault file (default: KEYHOLD_VAULT, then the default path).", valueName: "PATH"))
  var vault: String?

  @Flag(name: .long, help: "Serve no vault: behave exactly like ssh-agent.")
  var noVault = false

  @Flag(name: .long, help: "Never ask for the vault passphrase when a sealed vault key is used.")
  var noLazyUnlock = false

  @Flag(name: .long, help: "Do not offer keys whose cloud key pair is orphaned.")
  var hideOrphaned = false

  @Argument(parsing: .captureForPassthrough, help: "A command to run with the agent (and its arguments).")
  var command: [String] = []

  mutating func validate() throws {
    if command.first == "--" { command.removeFirst() }
    if cshell && bourne { throw ValidationError("-c and -s cannot be used together") }
    if debug && foreground { throw ValidationError("-d and -D cannot be used together") }
    if !command.isEmpty && (cshell || bourne || kill || debug || foreground) {
      throw ValidationError("COMMAND cannot be combined with -c, -s, -k, -d or -D")
    }
    if let lifetime, SSHTimeSpec.seconds(lifetime) == nil { throw ValidationError("Invalid lifetime") }
    if FingerprintHash(rawValue: fingerprintHash) == nil {
      throw ValidationError("Invalid hash algorithm \"\(fingerprintHash)\"")
    }
    if vault != nil && noVault { throw ValidationError("--vault and --no-vault cannot be used together") }
  }

  func run() throws {
    try runReportingErrors {
      // Like ssh-agent: without -c or -s, a shell whose name ends in "csh" gets C-shell syntax.
      var csh = cshell
      if command.isEmpty && !cshell && !bourne, let shell = getenv("SHELL").map({ String(cString: $0) }),
        shell.count > 2, shell.hasSuffix("csh")
      {
        csh = true
      }
      if kill {
        try AgentRunner.killAgent(csh: csh)
        return
      }
      let options = AgentRunner.Options(
        socketPath: bindAddress, csh: csh, foreground: foreground || debug, debug: debug,
        lifetime: lifetime.flatMap(SSHTimeSpec.seconds).flatMap { $0 == 0 ? nil : $0 },
        fingerprintHash: FingerprintHash(rawValue: fingerprintHash) ?? .sha256,
        vaultPath: noVault ? nil : AgentVaultLocation.resolve(explicit: vault), lazyUnlock: !noLazyUnlock,
        hideOrphaned: hideOrphaned, command: command)
      try AgentRunner(options: options).run()
    }
  }
}
