import KeyholdCrypto
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the `SSH_ASKPASS` program the way OpenSSH does: the agent's confirmations and vault passphrase, and the
/// passphrase prompt of any command that has no terminal.
///
/// The agent runs without a terminal, so its prompts always go through askpass; it takes the program from
/// `SSH_ASKPASS` when set, else `/usr/bin/ssh-askpass`.
enum Askpass {
  /// The askpass program, resolved once at start-up (the agent's environment does not change afterwards).
  static let program: String? = {
    if let p = getenv("SSH_ASKPASS").map({ String(cString: $0) }), !p.isEmpty { return p }
    return access("/usr/bin/ssh-askpass", X_OK) == 0 ? "/usr/bin/ssh-askpass" : nil
  }()

  /// Asks to allow one use of a key (`SSH_ASKPASS_PROMPT=confirm`): allowed when the program exits 0 and prints
  /// nothing or `yes`, as OpenSSH's `ask_permission`.
  static func confirm(_ prompt: String) -> Bool {
    guard let output = run(program: program, prompt: prompt, promptKind: "confirm") else { return false }
    let text = String(decoding: output, as: UTF8.self)
    var copy = output
    SecureBytes.wipe(&copy)
    return text.isEmpty || text.lowercased() == "yes"
  }

  /// Asks for a passphrase with `program`; nil when the program fails or is cancelled.
  static func passphrase(_ prompt: String, program: String? = Askpass.program) -> SecureBytes? {
    guard var output = run(program: program, prompt: prompt, promptKind: nil) else { return nil }
    defer { SecureBytes.wipe(&output) }
    return SecureBytes(copying: output)
  }

  /// Runs the program with `prompt` as its argument (looked up in PATH, as OpenSSH's execlp); returns its first
  /// output line, or nil unless it exits 0.
  private static func run(program: String?, prompt: String, promptKind: String?) -> [UInt8]? {
    guard let program else { return nil }
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return nil }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    var env: [String] = []
    var p = environ
    while let entry = p.pointee {
      let s = String(cString: entry)
      if !s.hasPrefix("SSH_ASKPASS_PROMPT=") { env.append(s) }
      p += 1
    }
    if let promptKind { env.append("SSH_ASKPASS_PROMPT=\(promptKind)") }
    let cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(program), strdup(prompt), nil]
    defer {
      for q in cEnv { free(q) }
      for q in argv { free(q) }
    }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, program, &actions, nil, argv, cEnv)
    close(fds[1])
    guard rc == 0 else {
      close(fds[0])
      return nil
    }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 512)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress!, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      out.append(contentsOf: chunk[0..<n])
      if out.count > 8192 { break }
    }
    SecureBytes.wipe(&chunk)
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else {
      SecureBytes.wipe(&out)
      return nil
    }
    if let nl = out.firstIndex(of: UInt8(ascii: "\n")) {
      let line = Array(out[..<nl])
      SecureBytes.wipe(&out)
      out = line
    }
    if out.last == UInt8(ascii: "\r") { out.removeLast() }
    return out
  }
}
