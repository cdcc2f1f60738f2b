import AgentServer
import CPeerCred
import KeyholdCrypto
import KeyholdSystem
import SSHKeys
import SignatureLog

#if canImport(Glibc)
  import Glibc
#endif

/// Starts the agent process the way ssh-agent does: socket first, then fork (before any thread exists), the parent
/// printing the shell commands or running COMMAND, the child serving until a signal.
struct AgentRunner {
  /// What `keyhold agent` was asked to do.
  struct Options {
    var socketPath: String?
    var csh: Bool
    var foreground: Bool
    var debug: Bool
    var lifetime: UInt32?
    var fingerprintHash: FingerprintHash
    var vaultPath: String?
    var lazyUnlock: Bool
    var hideOrphaned: Bool
    var command: [String]
    /// `-T`: make the socket in a fresh `$TMPDIR/ssh-XXXXXXXXXXXX` folder even when XDG_RUNTIME_DIR is set.
    var temporarySocketDirectory = false
    /// `-P`: the PKCS#11 providers ssh-add -s may load; nil: ssh-agent's default.
    var pkcs11Providers: String? = nil
    /// The signature log's files; nil: no log (`--no-log`).
    var signatureLog: SignatureLogFiles? = nil
    /// SSH_PKCS11_HELPER: the helper to spawn; nil or empty: keyhold-pkcs11-helper next to this executable.
    var pkcs11Helper: String? = nil
    /// `--no-learn` turns this off: user-authentication signatures on bound connections are not recorded.
    var learnHosts = true
    /// `--hide-other-hosts`: bound connections are not offered keys known only for other hosts.
    var hideOtherHosts = false
  }

  let options: Options

  /// `-k`: sends SIGTERM to SSH_AGENT_PID and prints the commands that unset the variables.
  static func killAgent(csh: Bool) throws {
    guard let text = getenv("SSH_AGENT_PID").map({ String(cString: $0) }) else {
      throw CLIError(
        "SSH_AGENT_PID not set, cannot kill agent", hint: "run it in the shell that evaluated `keyhold agent -s`")
    }
    guard let pid = Int32(text), pid >= 2 else {
      throw CLIError("SSH_AGENT_PID=\"\(text)\", which is not a good PID")
    }
    if Glibc.kill(pid, SIGTERM) == -1 {
      throw CLIError("kill \(pid): \(String(cString: strerror(errno)))")
    }
    let format: (String) -> String = { csh ? "unsetenv \($0);\n" : "unset \($0);\n" }
    writeOut(format("SSH_AUTH_SOCK") + format("SSH_AGENT_PID") + "echo Agent pid \(pid) killed;\n")
  }

  func run() throws {
    Self.restoreDefaultFatalSignals()
    Self.tuneMalloc()
    let startPID = getpid()
    var activated = false
    var createdDirectory: String? = nil
    let listener: AgentListener
    do {
      if let path = options.socketPath {
        // Bound by its absolute name: the agent changes to / after forking and must still remove it on exit.
        let absolute = Self.absolute(path)
        Self.removeStaleSocket(absolute)
        listener = try AgentListener.bind(path: absolute)
      } else if options.foreground, options.command.isEmpty, let fd = Self.activatedSocket() {
        listener = AgentListener(adopting: fd)
        activated = true
      } else {
        let (dir, created) = try Self.defaultSocketDirectory(runtime: !options.temporarySocketDirectory)
        createdDirectory = created ? dir : nil
        // A crashed agent of an earlier process with this pid may have left its socket here.
        Self.removeStaleSocket("\(dir)/agent.\(startPID)")
        listener = try AgentListener.bind(path: "\(dir)/agent.\(startPID)")
      }
    } catch let e as AgentListenerError {
      if let createdDirectory { rmdir(createdDirectory) }
      throw CLIError("\(e)")
    }
    let cleanup = Cleanup(listener: listener, directory: createdDirectory)

    if options.foreground {
      if let path = options.socketPath ?? listener.path {
        Self.writeOut(setLine("SSH_AUTH_SOCK", path) + "echo Agent pid \(startPID);\n")
      }
      serve(listener, cleanup: cleanup, parent: nil, activated: activated)
    }

    fflush(nil)
    let pid = fork()
    if pid < 0 {
      cleanup.run()
      throw CLIError("fork: \(String(cString: strerror(errno)))")
    }
    if pid != 0 {
      // Parent: present the socket, or become COMMAND with the variables set.
      close(listener.fd)
      if options.command.isEmpty {
        Self.writeOut(
          setLine("SSH_AUTH_SOCK", options.socketPath ?? listener.path ?? "") + setLine("SSH_AGENT_PID", "\(pid)")
            + "echo Agent pid \(pid);\n")
        exit(0)
      }
      setenv("SSH_AUTH_SOCK", options.socketPath ?? listener.path ?? "", 1)
      setenv("SSH_AGENT_PID", "\(pid)", 1)
      let argv: [UnsafeMutablePointer<CChar>?] = options.command.map { strdup($0) } + [nil]
      execvp(options.command[0], argv)
      printError("keyhold: error: \(options.command[0]): \(String(cString: strerror(errno)))")
      exit(1)
    }
    // Child: the agent. Detach from the terminal, the caller's working directory and any descriptor it inherited
    // (a caller waiting for its output pipe to close must not wait for the agent).
    Self.closeInheritedDescriptors(keeping: listener.fd)
    setsid()
    _ = chdir("/")
    let null = open("/dev/null", O_RDWR)
    if null >= 0 {
      dup2(null, 0)
      dup2(null, 1)
      dup2(null, 2)
      if null > 2 { close(null) }
    }
    serve(listener, cleanup: cleanup, parent: options.command.isEmpty ? nil : startPID, activated: activated)
  }

  /// The signals that mean the process itself is broken. Swift's runtime installs handlers for them that print a
  /// backtrace with registers and memory to standard error; in the agent that could show key material, so they
  /// get the default action back: the process ends at once, by the signal, and (with RLIMIT_CORE 0 and not
  /// dumpable) without a core file.
  static let fatalSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGQUIT, SIGSYS]

  /// glibc malloc settings for a process that lives long and opens large vaults (mallopt(3)). By default glibc
  /// raises its mmap threshold to the size of the largest block freed so far, so after the first vault read every
  /// later multi-megabyte buffer (the file, its decrypted half, a 10,000-key listing) comes from the heap and stays
  /// resident once freed; a fixed threshold keeps such buffers mapped, and unmapped when freed.
  /// KEYHOLD_MALLOC_MMAP_THRESHOLD and KEYHOLD_MALLOC_ARENA_MAX (bytes, arenas) override the values for measuring
  /// (`keyhold-bench scale`).
  static func tuneMalloc() {
    guard let symbol = dlsym(nil, "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    func setting(_ name: String) -> Int32? { getenv(name).flatMap { Int32(String(cString: $0)) } }
    let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in <malloc.h>
    let arenaMax: Int32 = -8  // M_ARENA_MAX
    // A negative override leaves glibc's own (dynamic) threshold, for comparison.
    let threshold = setting("KEYHOLD_MALLOC_MMAP_THRESHOLD") ?? 128 * 1024
    if threshold >= 0 { _ = mallopt(mmapThreshold, threshold) }
    if let arenas = setting("KEYHOLD_MALLOC_ARENA_MAX"), arenas > 0 { _ = mallopt(arenaMax, arenas) }
  }

  /// Gives every signal of ``fatalSignals`` its default action.
  static func restoreDefaultFatalSignals() {
    for s in fatalSignals { signal(s, SIG_DFL) }
  }

  /// Removes a socket left at `path` by an agent that died without cleaning up: a socket file nobody listens on
  /// (connect fails with ECONNREFUSED). A live socket, or anything else, is left for bind to report.
  static func removeStaleSocket(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    if rc != 0 && errno == ECONNREFUSED { unlink(path) }
  }

  /// Closes every descriptor above standard error except `keep`.
  static func closeInheritedDescriptors(keeping keep: Int32) {
    var open: [Int32] = []
    if let dir = opendir("/proc/self/fd") {
      while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let fd = Int32(name), fd > 2, fd != keep, fd != dirfd(dir) { open.append(fd) }
      }
      closedir(dir)
    }
    for fd in open { close(fd) }
  }

  /// `path` made absolute against the working directory.
  static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return cwd == "/" ? "/" + path : cwd + "/" + path
  }

  /// `NAME=VALUE; export NAME;` or the C-shell `setenv NAME VALUE;`, as ssh-agent prints them.
  func setLine(_ name: String, _ value: String) -> String {
    options.csh ? "setenv \(name) \(value);\n" : "\(name)=\(value); export \(name);\n"
  }

  /// Runs the agent until SIGTERM, SIGINT or SIGHUP (or the parent's death when running COMMAND). Never returns.
  func serve(_ listener: AgentListener, cleanup: Cleanup, parent: pid_t?, activated: Bool) -> Never {
    _ = keyhold_disable_core_dumps()
    // After the fork: memory locks are not inherited by a child, so the arena is set up (and locked) here.
    OpenSSLSecureHeap.enable()
    signal(SIGPIPE, SIG_IGN)
    // Block the signals before any thread starts, so every thread inherits the mask and only sigwait sees them.
    var set = sigset_t()
    sigemptyset(&set)
    for s in [SIGTERM, SIGINT, SIGHUP, SIGUSR1] { sigaddset(&set, s) }
    pthread_sigmask(SIG_BLOCK, &set, nil)
    if let parent {
      _ = keyhold_set_parent_death_signal(SIGTERM)
      if getppid() != parent {
        cleanup.run()
        _exit(2)
      }
    }
    let logLevel: AgentLogLevel = options.debug ? .debug : .info
    let logging = options.foreground
    // A sealed vault's keys are listed only when a sign can ask for the passphrase; otherwise ssh would spend an
    // authentication attempt on each and get "agent refused operation".
    let promptUnavailable = AskpassReachability.unavailableReason(program: Askpass.program)
    var configuration = AgentConfiguration(
      defaultLifetime: options.lifetime, fingerprintHash: options.fingerprintHash,
      lazyUnlock: options.lazyUnlock && promptUnavailable == nil,
      confirm: { Askpass.confirm($0) }, askVaultPassphrase: { Askpass.passphrase($0) },
      log: logging ? Self.logLine : nil,
      logLevel: logLevel,
      pkcs11AllowList: PKCS11AllowList(patterns: options.pkcs11Providers ?? PKCS11AllowList.defaultPatterns),
      pkcs11Helper: PKCS11Provider.helperPath(override: options.pkcs11Helper))
    configuration.socketPath = options.socketPath.map(Self.absolute) ?? listener.path
    if options.lazyUnlock { configuration.promptUnavailable = promptUnavailable }
    configuration.learnHosts = options.learnHosts
    configuration.hideOtherHosts = options.hideOtherHosts
    if let files = options.signatureLog {
      configuration.signatureLog = AgentSignatureLog(
        files: files, hostName: AgentSignatureLog.instanceNames(vaultPath: options.vaultPath))
    }
    let source = options.vaultPath.flatMap {
      AgentVaultSourceFactory.make(path: $0, hideOrphaned: options.hideOrphaned)
    }
    // The host books beside the vault (keyhold-hosts(5)) order bound listings and learn from logins.
    let hostsLog: (@Sendable (String) -> Void)? = logging ? { @Sendable line in Self.logLine(.info, line) } : nil
    let hosts = options.vaultPath.map {
      AgentHostDirectory(vaultPath: $0, log: hostsLog)
    }
    configuration.hosts = hosts
    let agent = Agent(configuration: configuration, source: source)
    StartupPages.release()
    listener.serveInBackground(agent)
    while true {
      var signal: Int32 = 0
      guard sigwait(&set, &signal) == 0 else { continue }
      if signal == SIGUSR1 {
        agent.removeAllKeys()
        continue
      }
      if logging {
        var bytes = Array("exiting on signal \(signal)\n".utf8)
        _ = write(2, &bytes, bytes.count)
      }
      agent.removeAllKeys()
      hosts?.flush()
      cleanup.run()
      _exit(signal == SIGTERM && activated ? 0 : 2)
    }
  }

  /// Writes one log line to standard error in one write, so lines from different threads never interleave.
  @Sendable static func logLine(_ level: AgentLogLevel, _ line: String) {
    let prefix = level == .debug ? "debug1: " : ""
    var bytes = Array((prefix + line + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
  }

  /// What to remove when the agent exits: its socket and the private folder made for it.
  struct Cleanup {
    let listener: AgentListener
    let directory: String?

    func run() {
      listener.removeSocket()
      if let directory { rmdir(directory) }
    }
  }

  /// Descriptor 3 when systemd socket activation handed us one socket (`LISTEN_PID` is us, `LISTEN_FDS=1`).
  static func activatedSocket() -> Int32? {
    guard let pid = getenv("LISTEN_PID").map({ String(cString: $0) }), Int32(pid) == getpid(),
      let fds = getenv("LISTEN_FDS").map({ String(cString: $0) }), fds == "1", fcntl(3, F_GETFD) != -1
    else { return nil }
    unsetenv("LISTEN_PID")
    unsetenv("LISTEN_FDS")
    unsetenv("LISTEN_FDNAMES")
    return 3
  }

  /// `$XDG_RUNTIME_DIR/keyhold` (made 0700 when missing, refused when others can enter it), or like ssh-agent a
  /// fresh `$TMPDIR/ssh-XXXXXXXXXXXX` (or under /tmp). Returns the folder and whether it was made for this agent.
  static func defaultSocketDirectory(runtime useRuntime: Bool = true) throws -> (String, Bool) {
    if useRuntime, let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !runtime.isEmpty {
      let dir = runtime + "/keyhold"
      if mkdir(dir, 0o700) != 0 && errno != EEXIST {
        throw CLIError("mkdir \(dir): \(String(cString: strerror(errno)))")
      }
      var st = stat()
      guard lstat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { throw CLIError("\(dir) is not a folder") }
      guard st.st_uid == getuid(), st.st_mode & 0o077 == 0 else {
        throw CLIError("unsafe permissions on \(dir)", hint: "it must belong to you with mode 0700: chmod 700 \(dir)")
      }
      return (dir, false)
    }
    var base = "/tmp"
    if let t = getenv("TMPDIR").map({ String(cString: $0) }), !t.isEmpty { base = t }
    // Twelve random letters and digits, as OpenSSH's mkdtemp fills `ssh-XXXXXXXXXXXX` (glibc's fills only six).
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    for _ in 0..<100 {
      let name = String(decoding: Sodium.randomBytes(12).map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
      let dir = "\(base)/ssh-\(name)"
      if mkdir(dir, 0o700) == 0 { return (dir, true) }
      if errno != EEXIST { throw CLIError("mkdtemp: private socket dir: \(String(cString: strerror(errno)))") }
    }
    throw CLIError("mkdtemp: private socket dir: no free name under \(base)")
  }

  static func writeOut(_ text: String) {
    // Best effort, as ssh-agent: a closed standard output must not stop the agent from starting.
    try? Descriptor.writeAll(1, Array(text.utf8), label: "standard output")
  }
}
