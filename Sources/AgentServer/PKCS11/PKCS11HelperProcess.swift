import KeyholdCrypto
import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// One running keyhold-pkcs11-helper and the socket to it (its standard input and output).
///
/// The protocol (messages, framing, limits) is SSHWire's `PKCS11HelperRequest` / `PKCS11HelperReply`, which the
/// helper decodes and encodes too.
struct PKCS11HelperProcess {
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

  /// Sends one request and reads its reply body within `deadline` (a provider stuck in C_Login or C_Sign must not
  /// hold an agent thread for ever). A broken connection reaps the helper and says how it ended; a helper that has
  /// not answered by the deadline is killed.
  func exchange(_ body: [UInt8], deadline: Duration) throws(PKCS11Error) -> [UInt8] {
    let end = ContinuousClock.now + deadline
    var framed = PKCS11HelperFrame.frame(body)
    // A LOAD carries the PIN: the framed copy is wiped once sent (or not), whatever the reply.
    defer { SecureBytes.wipe(&framed) }
    let outcome: Result<[UInt8], PKCS11Error>
    do throws(Stall) {
      outcome = try transact(framed, until: end)
    } catch {
      kill(pid, SIGKILL)
      _ = reap()
      throw .helperExited(reason: "did not answer within \(Self.seconds(deadline)) and was killed")
    }
    return try outcome.get()
  }

  /// Sends `framed` and reads one reply body; a broken connection or a bad frame length reaps the helper.
  private func transact(_ framed: [UInt8], until end: ContinuousClock.Instant) throws(Stall)
    -> Result<[UInt8], PKCS11Error>
  {
    guard try sendAll(framed, until: end), let header = try receive(4, until: end) else {
      return .failure(.helperExited(reason: reap()))
    }
    let length: Int
    do throws(WireError) { length = try PKCS11HelperFrame.bodyLength(header: header) } catch {
      _ = reap()
      return .failure(.helperProtocol("\(error)"))
    }
    guard let reply = try receive(length, until: end) else { return .failure(.helperExited(reason: reap())) }
    return .success(reply)
  }

  /// The deadline passed before the helper was ready.
  private struct Stall: Error {}

  private static func seconds(_ d: Duration) -> String {
    let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Double(ms) / 1000) s"
  }

  /// Closes the socket (the helper then finalizes the provider and exits) and waits for it.
  func finish() {
    shutdown(socket, Int32(SHUT_WR))
    _ = reap()
  }

  /// Waits until the socket is ready for `events` or `end` passes (then throws ``Stall``).
  private func wait(_ events: Int16, until end: ContinuousClock.Instant) throws(Stall) {
    while true {
      let left = ContinuousClock.now.duration(to: end)
      guard left > .zero else { throw Stall() }
      let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
      var descriptor = pollfd(fd: socket, events: events, revents: 0)
      let n = poll(&descriptor, 1, Int32(clamping: ms))
      if n > 0 { return }  // ready, or hung up / in error: the next call says which
      if n < 0 && errno != EINTR { return }
    }
  }

  private func sendAll(_ bytes: [UInt8], until end: ContinuousClock.Instant) throws(Stall) -> Bool {
    var sent = 0
    while sent < bytes.count {
      try wait(Int16(POLLOUT), until: end)
      let n = bytes.withUnsafeBytes {
        send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
      }
      if n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) { continue }
      guard n > 0 else { return false }
      sent += n
    }
    return true
  }

  private func receive(_ count: Int, until end: ContinuousClock.Instant) throws(Stall) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
      try wait(Int16(POLLIN), until: end)
      let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + got, count - got, Int32(MSG_DONTWAIT)) }
      if n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) { continue }
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
