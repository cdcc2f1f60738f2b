import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// Reads passphrases the way DESIGN requires: from `--passphrase-fd N`, else the terminal without echo, else
/// `SSH_ASKPASS` when there is no terminal. Never from argv or the environment.
struct PassphraseSource {
  /// A descriptor to read passphrases from (one per line), from `--passphrase-fd`.
  var fd: Int32?

  /// Reads one passphrase, showing `prompt` on the terminal or to the askpass program.
  func read(prompt: String) throws -> SecureBytes {
    if let fd {
      return try readLine(fd: fd, prompt: nil)
    }
    let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
    if tty >= 0 {
      defer { close(tty) }
      return try readLine(fd: tty, prompt: prompt, noEcho: true)
    }
    if let askpass = getenv("SSH_ASKPASS").map({ String(cString: $0) }), !askpass.isEmpty {
      return try runAskpass(askpass, prompt: prompt)
    }
    throw CLIError(
      "cannot read a passphrase: no terminal, SSH_ASKPASS unset and no --passphrase-fd",
      hint: "pass the passphrase on a descriptor, e.g. --passphrase-fd 3 3<passfile")
  }

  /// Reads a new passphrase twice and checks both entries match.
  func readNew(prompt: String, confirm: String) throws -> SecureBytes {
    let first = try read(prompt: prompt)
    if fd != nil { return first }  // a descriptor gives it once
    let second = try read(prompt: confirm)
    let same = first.withUnsafeBytes { a in second.withUnsafeBytes { b in SecureBytes.constantTimeEqual(a, b) } }
    guard same else { throw CLIError("passphrases do not match") }
    return first
  }

  private func readLine(fd: Int32, prompt: String?, noEcho: Bool = false) throws -> SecureBytes {
    var saved = termios()
    var restored = true
    if noEcho, tcgetattr(fd, &saved) == 0 {
      var raw = saved
      raw.c_lflag &= ~tcflag_t(ECHO)
      raw.c_lflag |= tcflag_t(ECHONL)
      if tcsetattr(fd, TCSAFLUSH, &raw) == 0 { restored = false }
    }
    defer {
      if !restored { tcsetattr(fd, TCSAFLUSH, &saved) }
    }
    if let prompt {
      _ = prompt.withCString { write(fd, $0, strlen($0)) }
    }
    var buf = [UInt8]()
    defer { SecureBytes.wipe(&buf) }
    buf.reserveCapacity(256)
    var byte: UInt8 = 0
    while true {
      let n = Glibc.read(fd, &byte, 1)
      if n < 0 {
        if errno == EINTR { continue }
        throw CLIError("cannot read passphrase: \(String(cString: strerror(errno)))")
      }
      if n == 0 || byte == UInt8(ascii: "\n") { break }
      if buf.count >= 4096 { throw CLIError("passphrase longer than 4096 bytes") }
      buf.append(byte)
    }
    if buf.last == UInt8(ascii: "\r") { buf.removeLast() }
    return SecureBytes(copying: buf)
  }

  private func runAskpass(_ program: String, prompt: String) throws -> SecureBytes {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw CLIError("cannot run SSH_ASKPASS: pipe failed") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(program), strdup(prompt), nil]
    defer { for p in argv { free(p) } }
    let rc = posix_spawnp(&pid, program, &actions, nil, argv, environ)
    close(fds[1])
    guard rc == 0 else {
      close(fds[0])
      throw CLIError("cannot run SSH_ASKPASS program \(program): \(String(cString: strerror(rc)))")
    }
    let secret = try readLine(fd: fds[0], prompt: nil)
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else { throw CLIError("passphrase entry cancelled") }
    return secret
  }
}
