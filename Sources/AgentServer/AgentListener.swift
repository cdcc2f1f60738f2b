import KeyholdCrypto
import KeyholdSystem
import SSHKeys
import SSHWire
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Why a listening socket could not be set up.
public enum AgentListenerError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The socket path does not fit in `sun_path` (107 bytes).
  case pathTooLong(String)
  /// A system call failed.
  case system(call: String, path: String, errno: Int32)

  public var description: String {
    switch self {
    case .pathTooLong(let p): return "socket path too long: \(p)"
    case .system(let call, let path, let e): return "\(call) \(path): \(String(cString: strerror(e)))"
    }
  }
}

/// The agent's listening Unix socket, served by an ``EventLoop``.
///
/// Each accepted connection is checked with SO_PEERCRED before a byte is read (the peer must run as our uid or
/// as root, as OpenSSH's agent requires); connections then share the loop's few threads, so an idle one costs a
/// descriptor and a small object, not a thread. Passphrase attempts (lock, unlock, `vault-unlock@keyhold`) go
/// through the loop's one-at-a-time lane: their back-off holds one thread however many guessers connect.
public final class AgentListener: Sendable {
  /// The listening descriptor.
  public let fd: Int32
  /// The socket's path, when the listener created it (nil for a socket handed over by systemd).
  public let path: String?
  /// The loop's limits.
  public let configuration: EventLoopConfiguration
  private let connections = Atomic<Int>(0)

  /// Adopts an already listening socket, e.g. descriptor 3 from systemd socket activation (`LISTEN_FDS`).
  public init(adopting fd: Int32, configuration: EventLoopConfiguration = EventLoopConfiguration()) {
    self.fd = fd
    self.path = nil
    self.configuration = configuration
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
  }

  private init(fd: Int32, path: String, configuration: EventLoopConfiguration) {
    self.fd = fd
    self.path = path
    self.configuration = configuration
  }

  /// Creates, binds and listens on a Unix socket at `path`. The socket file is created mode 0600, so it is never,
  /// even briefly, accessible to others (no chmod-after-bind window).
  ///
  /// Linux gives the file bind(2) creates the socket's own inode mode less the umask (`unix_bind_bsd` in the
  /// kernel's net/unix/af_unix.c), so fchmod(2) on the unbound socket sets it. The umask is left alone: it belongs
  /// to the whole process, and a thread creating a file (a script, a log) while another binds would get 0600 too.
  public static func bind(
    path: String, configuration: EventLoopConfiguration = EventLoopConfiguration()
  ) throws(AgentListenerError) -> AgentListener {
    let address: UnixSocketAddress
    do { address = try UnixSocketAddress(path: path) } catch { throw .pathTooLong(path) }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .system(call: "socket", path: path, errno: errno) }
    guard fchmod(fd, 0o600) == 0 else {
      let e = errno
      close(fd)
      throw .system(call: "fchmod", path: path, errno: e)
    }
    let rc = address.withSockaddr { Glibc.bind(fd, $0, $1) }
    let bindErrno = errno
    guard rc == 0 else {
      close(fd)
      throw .system(call: "bind", path: path, errno: bindErrno)
    }
    guard listen(fd, 128) == 0 else {
      let e = errno
      close(fd)
      unlink(path)
      throw .system(call: "listen", path: path, errno: e)
    }
    return AgentListener(fd: fd, path: path, configuration: configuration)
  }

  /// Stops accepting: the loop sees the listening socket hang up and stops; the socket file is removed.
  public func stop() {
    shutdown(fd, Int32(SHUT_RDWR))
    removeSocket()
  }

  /// Removes the socket file (when this listener created it).
  public func removeSocket() {
    if let path { unlink(path) }
  }

  /// Serves connections on the calling thread (one of the loop's threads) until ``stop()``; the loop's other
  /// threads are started here.
  public func serve(_ agent: Agent) {
    guard let loop = makeLoop(agent) else { return }
    do { try loop.run() } catch { agent.log(.info, "\(error)") }
  }

  /// Starts the loop's threads and returns.
  public func serveInBackground(_ agent: Agent) {
    guard let loop = makeLoop(agent) else { return }
    do { try loop.start() } catch { agent.log(.info, "\(error)") }
  }

  private func makeLoop(_ agent: Agent) -> EventLoop<AgentConnectionState>? {
    let ourUID = getuid()
    do {
      return try EventLoop<AgentConnectionState>(
        listening: fd, configuration: configuration, log: { agent.log(.info, $0) },
        serialized: Self.isPassphraseAttempt,
        accept: { peer in
          // Refused before a byte is read: only our own user and root may talk to the agent.
          guard peer.uid == ourUID || peer.uid == 0 else {
            agent.log(.info, "uid mismatch: peer euid \(peer.uid) != uid \(ourUID)")
            return nil
          }
          let number = self.connections.add(1, ordering: .relaxed).newValue
          agent.log(.debug, "connection \(number): new client pid \(peer.pid) uid \(peer.uid)")
          var state = AgentConnectionState(peerUID: peer.uid, peerPID: peer.pid, number: number)
          if agent.configuration.signatureLog != nil { state.peerProcess = PeerProcess.read(pid: peer.pid) }
          return state
        },
        handler: { state, body in
          var frame = body
          return agent.answer(frame: &frame, connection: &state)
        })
    } catch {
      agent.log(.info, "\(error)")
      return nil
    }
  }

  /// True for the requests that try a passphrase (SSH_AGENTC_LOCK, SSH_AGENTC_UNLOCK, the `vault-unlock@keyhold`
  /// extension): they back off and run a key derivation, so the loop handles them one at a time.
  static func isPassphraseAttempt(_ body: [UInt8]) -> Bool {
    guard let type = body.first else { return false }
    if type == AgentMessageType.lock.rawValue || type == AgentMessageType.unlock.rawValue { return true }
    guard type == AgentMessageType.extension.rawValue, body.count >= 5 else { return false }
    let length = body[1...4].reduce(0) { $0 << 8 | Int($1) }
    let name = AgentExtensionRequest.Name.vaultUnlock.utf8
    return length == name.count && body.count >= 5 + length && body[5..<(5 + length)].elementsEqual(name)
  }
}
