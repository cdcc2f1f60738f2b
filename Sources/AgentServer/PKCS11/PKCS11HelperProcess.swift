import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// One running keyhold-pkcs11-helper and the socket to it (its standard input and output).
///
/// The protocol is documented on the helper's `HelperMessage`: `uint32 length`, `byte type`, SSH wire fields; LOAD
/// (1) → KEYS (128), SIGN (2) → SIGNATURE (129), either → FAILURE (130, `uint32 code, string message`).
struct PKCS11HelperProcess {
  static let load: UInt8 = 1
  static let sign: UInt8 = 2
  static let keys: UInt8 = 128
  static let signature: UInt8 = 129
  static let failure: UInt8 = 130
  static let maxFrame = 256 * 1024

  let pid: pid_t
  let socket: Int32

  /// Starts `helper` with a socket on its standard input and output and its other descriptors closed.
  ///
  /// `environment` nil passes the agent's own; a provider reads its configuration from there (SOFTHSM2_CONF).
  init(helper: String, environment: [String: String]?) throws(PKCS11Error) {
    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
      throw .helperNotStarted(helper: helper, reason: Self.errnoText())
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    // dup2 clears close-on-exec on the copies; every other descriptor of the agent is close-on-exec.
    posix_spawn_file_actions_adddup2(&actions, fds[1], 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Agent threads may block signals; the helper starts with none blocked and SIGPIPE at its default, so it dies
    // rather than lingers when the agent goes away.
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(helper), nil]
    defer { for p in argv { free(p) } }
    let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
      env.sorted(by: { $0.key < $1.key }).map { strdup("\($0.key)=\($0.value)") } + [nil]
    }
    defer { for p in envp ?? [] { free(p) } }
    var pid: pid_t = 0
    let rc: Int32
    if let envp {
      rc = posix_spawn(&pid, helper, &actions, &attributes, argv, envp)
    } else {
      rc = posix_spawn(&pid, helper, &actions, &attributes, argv, environ)
    }
    close(fds[1])
    guard rc == 0 else {
      close(fds[0])
      throw .helperNotStarted(helper: helper, reason: String(cString: strerror(rc)).lowercased())
    }
    self.pid = pid
    self.socket = fds[0]
  }

  /// Sends one request and reads its reply body. A broken connection reaps the helper and says how it ended.
  func exchange(_ body: [UInt8]) throws(PKCS11Error) -> [UInt8] {
    var writer = SSHWriter(capacity: body.count + 4)
    writer.writeString(body)
    guard sendAll(writer.bytes), let header = receive(4) else { throw .helperExited(reason: reap()) }
    let length = header.reduce(0) { $0 << 8 | Int($1) }
    guard length > 0, length <= Self.maxFrame else {
      _ = reap()
      throw .helperProtocol("frame length \(length)")
    }
    guard let reply = receive(length) else { throw .helperExited(reason: reap()) }
    return reply
  }

  /// Closes the socket (the helper then finalizes the provider and exits) and waits for it.
  func finish() {
    shutdown(socket, Int32(SHUT_WR))
    _ = reap()
  }

  private func sendAll(_ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
      let n = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      sent += n
    }
    return true
  }

  private func receive(_ count: Int) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
      let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + got, count - got, 0) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return nil }
      got += n
    }
    return buffer
  }

  /// Closes the socket and collects the helper's exit status, killing it when it has not exited within about two
  /// seconds of losing its socket (a provider stuck in a call); returns how it ended, for messages.
  private func reap() -> String {
    close(socket)
    var status: Int32 = 0
    for _ in 0..<200 {
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid { return Self.describe(status) }
      if r < 0 && errno != EINTR { return "is gone" }
      var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
      nanosleep(&pause, nil)
    }
    kill(pid, SIGKILL)
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return "stopped answering and was killed"
  }

  private static func describe(_ status: Int32) -> String {
    let signal = status & 0x7f
    if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
    return "was killed by signal \(signal)"
  }

  private static func errnoText() -> String { String(cString: strerror(errno)).lowercased() }
}
