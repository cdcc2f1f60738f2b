import AgentServer

/// A `keyhold agent` command line, read the way ssh-agent(1) reads its own with getopt(3) and the option string
/// `cDdksTuUVE:a:O:P:t:` (OpenSSH 10; 9.2 lacks `T`, `u`, `U` and `V`), plus keyhold's long options.
///
/// As with getopt: flags cluster (`-sD`), a value may be joined to its flag (`-t60`, `-a/path`) or be the next
/// word, `--` ends the options, and the first word that is not an option starts COMMAND. Options are read left to
/// right and checked as they are read, so `-V` or `-h` answers at once, and errors come in ssh-agent's order.
struct AgentArguments: Equatable, Sendable {
  /// `-a`: the socket path.
  var bindAddress: String?
  /// `-c`: C-shell output.
  var cshell = false
  /// `-s`: Bourne shell output.
  var bourne = false
  /// `-D`: foreground.
  var foreground = false
  /// `-d`: foreground with debug logging.
  var debug = false
  /// `-k`: kill the agent named by SSH_AGENT_PID.
  var kill = false
  /// `-T`: the socket in a fresh `$TMPDIR/ssh-XXXXXXXXXXXX` folder, even when XDG_RUNTIME_DIR is set.
  var temporarySocketDirectory = false
  /// `-U`: accepted; keyhold cleans no socket folder it did not make.
  var keepStaleSockets = false
  /// `-t`: default key lifetime in seconds (nil: forever).
  var lifetime: UInt32?
  /// `-E`: fingerprint hash for prompts and logs.
  var fingerprintHash: FingerprintHash = .sha256
  /// `-O`: ssh-agent options, accepted without effect.
  var agentOptions: [String] = []
  /// `-P`: the PKCS#11 providers ssh-add -s may load (nil: ssh-agent's default list).
  var providers: String?
  /// `--vault`: the vault file.
  var vault: String?
  /// `--no-vault`: serve no vault.
  var noVault = false
  /// `--no-lazy-unlock`: never ask for the vault passphrase on first use.
  var noLazyUnlock = false
  /// `--hide-orphaned`: do not list keys whose cloud key pair is orphaned.
  var hideOrphaned = false
  /// `--no-learn`: record no host a key opened.
  var noLearn = false
  /// `--hide-other-hosts`: bound connections are not offered keys known only for other hosts.
  var hideOtherHosts = false
  /// `--no-log`: keep no signature log.
  var noLog = false
  /// COMMAND and its arguments.
  var command: [String] = []

  /// What the command line asks for besides running an agent.
  enum Request: Equatable, Sendable {
    /// Run (or kill) an agent.
    case agent(AgentArguments)
    /// `-h` / `--help`: print the usage text.
    case help
    /// `-V`: print the version.
    case version
  }

  /// Why a command line was refused, and with which exit status (ssh-agent's for the same mistake).
  struct Failure: Error, Equatable, Sendable {
    /// The one-line message.
    var message: String
    /// Whether the usage text follows the message (ssh-agent prints it for usage errors and a bad `-t`).
    var showsUsage: Bool
    /// The exit status: 1 as ssh-agent's usage(), 255 as its fatal() (bad `-E`, `-P` given twice).
    var exitCode: Int32

    static func usage(_ message: String) -> Failure { Failure(message: message, showsUsage: true, exitCode: 1) }
    static func fatal(_ message: String) -> Failure { Failure(message: message, showsUsage: false, exitCode: 255) }
  }

  /// Short flags without a value.
  static let flags: Set<Character> = ["c", "D", "d", "k", "s", "T", "u", "U", "V", "h"]
  /// Short options that take a value.
  static let valued: Set<Character> = ["E", "a", "O", "P", "t"]
  /// Long options without a value.
  static let longFlags: Set<String> = [
    "help", "no-vault", "no-lazy-unlock", "hide-orphaned", "no-learn", "hide-other-hosts", "no-log",
  ]
  /// Long options that take a value (`--name VALUE` or `--name=VALUE`).
  static let longValued: Set<String> = ["vault"]

  /// Reads `arguments` (the words after `agent`, or after the program name when invoked as ssh-agent).
  static func parse(_ arguments: [String]) throws(Failure) -> Request {
    var a = AgentArguments()
    var uFlag = false
    var i = 0
    options: while i < arguments.count {
      let word = arguments[i]
      if word == "--" {
        i += 1
        break
      }
      guard word.hasPrefix("-"), word != "-" else { break }
      i += 1
      if word.hasPrefix("--") {
        var name = String(word.dropFirst(2))
        var value: String? = nil
        if let eq = name.firstIndex(of: "=") {
          value = String(name[name.index(after: eq)...])
          name = String(name[..<eq])
        }
        if longFlags.contains(name) {
          guard value == nil else { throw .usage("option --\(name) takes no value") }
          switch name {
          case "help": return .help
          case "no-vault": a.noVault = true
          case "no-lazy-unlock": a.noLazyUnlock = true
          case "no-learn": a.noLearn = true
          case "hide-other-hosts": a.hideOtherHosts = true
          case "no-log": a.noLog = true
          default: a.hideOrphaned = true
          }
        } else if longValued.contains(name) {
          if value == nil {
            guard i < arguments.count else { throw .usage("option requires an argument -- \(name)") }
            value = arguments[i]
            i += 1
          }
          a.vault = value
        } else {
          throw .usage("unknown option --\(name)")
        }
        continue
      }
      var rest = Substring(word.dropFirst())
      while let c = rest.first {
        rest = rest.dropFirst()
        if flags.contains(c) {
          switch c {
          case "h": return .help
          case "V": return .version
          case "c":
            if a.bourne { throw .usage("-c and -s cannot be used together") }
            a.cshell = true
          case "s":
            if a.cshell { throw .usage("-c and -s cannot be used together") }
            a.bourne = true
          case "d", "D":
            if a.debug || a.foreground { throw .usage("-d and -D cannot be used together or twice") }
            if c == "d" { a.debug = true } else { a.foreground = true }
          case "k": a.kill = true
          case "T": a.temporarySocketDirectory = true
          case "U": a.keepStaleSockets = true
          default: uFlag = true
          }
          continue
        }
        guard valued.contains(c) else { throw .usage("unknown option -- \(c)") }
        let value: String
        if !rest.isEmpty {
          value = String(rest)
        } else {
          guard i < arguments.count else { throw .usage("option requires an argument -- \(c)") }
          value = arguments[i]
          i += 1
        }
        try a.take(c, value)
        continue options
      }
    }
    a.command = Array(arguments[i...])
    if !a.command.isEmpty && (a.cshell || a.bourne || a.kill || a.debug || a.foreground || uFlag) {
      throw .usage("a command cannot be combined with -c, -s, -k, -d, -D or -u")
    }
    if uFlag {
      throw Failure(
        message: "-u is not supported: keyhold's agent keeps no sockets under ~/.ssh/agent to clean up",
        showsUsage: false, exitCode: 1)
    }
    if a.vault != nil && a.noVault { throw .usage("--vault and --no-vault cannot be used together") }
    return .agent(a)
  }

  /// Applies one valued short option, checking its value as ssh-agent does.
  mutating func take(_ option: Character, _ value: String) throws(Failure) {
    switch option {
    case "E":
      guard let hash = FingerprintHash(rawValue: value) else {
        throw .fatal("invalid hash algorithm \"\(value)\" (use sha256 or md5)")
      }
      fingerprintHash = hash
    case "a": bindAddress = value
    case "O": agentOptions.append(value)
    case "P":
      if providers != nil { throw .fatal("-P option already specified") }
      providers = value
    default:
      guard let seconds = SSHTimeSpec.seconds(value) else { throw .usage("invalid lifetime \"\(value)\"") }
      lifetime = seconds == 0 ? nil : seconds
    }
  }

  /// ssh-agent's synopsis in keyhold's words, under the name the binary was invoked by.
  static func usage(program: String) -> String {
    let pad = String(repeating: " ", count: program.count + 7)
    return """
      usage: \(program) [-c | -s] [-DdTU] [-a sock] [-E hash] [-O option] [-P list] [-t life]
      \(pad)[--vault path | --no-vault] [--no-lazy-unlock] [--hide-orphaned]
      \(pad)[--no-learn] [--hide-other-hosts] [--no-log]
             \(program) [-TU] [-a sock] [-E hash] [-O option] [-P list] [-t life]
      \(pad)[--vault path | --no-vault] [--no-lazy-unlock] [--hide-orphaned]
      \(pad)[--no-learn] [--hide-other-hosts] [--no-log] command [arg ...]
             \(program) [-c | -s] -k
             \(program) -V

      """
  }
}
