import AgentServer
import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold agent`: an SSH agent that takes ssh-agent's flags and also serves the vault's keys.
///
/// The command line is read by ``main(_:program:)`` with ssh-agent's getopt rules, not by ArgumentParser; the
/// declarations below describe the same options for `keyhold help agent` and the completion scripts.
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
    help: ArgumentHelp(
      "Default lifetime of added keys (seconds, or ssh time format such as 5m, 1h30m).", valueName: "LIFE"))
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
    help: ArgumentHelp(
      "PKCS#11 providers ssh-add -s may load: comma-separated patterns (default /usr/lib*/*,/usr/local/lib*/*).",
      valueName: "LIST"))
  var providers: String?

  @Option(
    name: .long,
    help: ArgumentHelp("The vault file (default: KEYHOLD_VAULT, then the default path).", valueName: "PATH"))
  var vault: String?

  @Flag(name: .long, help: "Serve no vault: behave exactly like ssh-agent.")
  var noVault = false

  @Flag(name: .long, help: "Never ask for the vault passphrase when a sealed vault key is used.")
  var noLazyUnlock = false

  @Flag(name: .long, help: "Do not offer keys whose cloud key pair is orphaned.")
  var hideOrphaned = false

  @Flag(name: .long, help: "Do not record which keys open which servers.")
  var noLearn = false

  @Flag(name: .long, help: "On a connection bound to a server, do not offer keys known only for other servers.")
  var hideOtherHosts = false
  @Flag(name: .long, help: "Keep no signature log (keyhold-log(1)).")
  var noLog = false

  @Argument(parsing: .captureForPassthrough, help: "A command to run with the agent (and its arguments).")
  var command: [String] = []

  @Flag(name: .customShort("T"), help: "Make the socket in a fresh $TMPDIR/ssh-XXXXXXXXXXXX folder.")
  var temporarySocketDirectory = false

  @Flag(name: .customShort("U"), help: "Accepted for compatibility: keyhold cleans no shared socket folder.")
  var keepStaleSockets = false

  /// Reads the agent's command line with ssh-agent's getopt rules (``AgentArguments``) and runs it. Usage errors,
  /// `-h` and `--help` print the usage text to standard error and exit 1, as ssh-agent does.
  static func main(_ arguments: [String], program: String) -> Never {
    let request: AgentArguments.Request
    do {
      request = try AgentArguments.parse(arguments)
    } catch {
      printError("keyhold: error: \(error.message)")
      if error.showsUsage { writeError(AgentArguments.usage(program: program)) }
      Glibc.exit(error.exitCode)
    }
    switch request {
    case .help:
      writeError(AgentArguments.usage(program: program))
      Glibc.exit(1)
    case .version:
      // ssh-agent -V writes its version to standard error.
      printError("keyhold \(KeyholdVersion.string)")
      Glibc.exit(0)
    case .agent(let a):
      do {
        try runReportingErrors { try start(a) }
        Glibc.exit(0)
      } catch let code as ExitCode {
        Glibc.exit(code.rawValue)
      } catch {
        Glibc.exit(1)
      }
    }
  }

  /// Writes a multi-line text to standard error, one line at a time.
  static func writeError(_ text: String) {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { printError(String(line)) }
  }

  /// Kills the agent named by SSH_AGENT_PID (`-k`), or starts one.
  static func start(_ a: AgentArguments) throws {
    // Like ssh-agent: without -c or -s, a shell whose name ends in "csh" gets C-shell syntax.
    var csh = a.cshell
    if a.command.isEmpty && !a.cshell && !a.bourne, let shell = getenv("SHELL").map({ String(cString: $0) }),
      shell.count > 2, shell.hasSuffix("csh")
    {
      csh = true
    }
    if a.kill {
      try AgentRunner.killAgent(csh: csh)
      return
    }
    let options = AgentRunner.Options(
      socketPath: a.bindAddress, csh: csh, foreground: a.foreground || a.debug, debug: a.debug,
      lifetime: a.lifetime, fingerprintHash: a.fingerprintHash,
      vaultPath: a.noVault ? nil : try AgentVaultSourceFactory.resolve(option: a.vault), lazyUnlock: !a.noLazyUnlock,
      hideOrphaned: a.hideOrphaned, command: a.command, temporarySocketDirectory: a.temporarySocketDirectory,
      pkcs11Providers: a.providers,
      signatureLog: a.noLog ? nil : try SignatureLogLocation.resolve(),
      // As ssh-agent: SSH_PKCS11_HELPER names the helper; the agent itself never reads the environment.
      pkcs11Helper: getenv("SSH_PKCS11_HELPER").map { String(cString: $0) }, learnHosts: !a.noLearn,
      hideOtherHosts: a.hideOtherHosts)
    try AgentRunner(options: options).run()
  }
}
