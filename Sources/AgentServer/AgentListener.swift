import CPeerCred
import KeyholdCrypto
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

/// The agent's listening Unix socket and its accept loop.
///
/// Each accepted connection is checked with SO_PEERCRED before a byte is read (the peer must run as our uid or
/// as root, as OpenSSH's agent requires), then served on its own thread.
public final class AgentListener: Sendable {
  /// The listening descriptor.
  public let fd: Int32
  /// The socket's path, when the listener created it (nil for a socket handed over by systemd).
  public let path: String?
  private let connections = Atomic<Int>(0)
  private let workers = ConnectionWorkers()

  /// Adopts an already listening socket, e.g. descriptor 3 from systemd socket activation (`LISTEN_FDS`).
  public init(adopting fd: Int32) {
    self.fd = fd
    self.path = nil
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
  }

  private init(fd: Int32, path: String) {
    self.fd = fd
    self.path = path
  }

  /// Creates, binds and listens on a Unix socket at `path`. The socket is created under umask 0177 so it is
  /// never, even briefly, accessible to others (no chmod-after-bind window).
  public static func bind(path: String) throws(AgentListenerError) -> AgentListener {
    guard let address = UnixSocket.address(path) else { throw .pathTooLong(path) }
    let fd = UnixSocket.stream()
    guard fd >= 0 else { throw .system(call: "socket", path: path, errno: errno) }
    let old = umask(0o177)
    let rc = UnixSocket.withSockaddr(address) { Glibc.bind(fd, $0, $1) }
    let bindErrno = errno
    umask(old)
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
    return AgentListener(fd: fd, path: path)
  }

  /// Stops accepting: wakes the accept loop (which then returns) and removes the socket file.
  public func stop() {
    shutdown(fd, Int32(SHUT_RDWR))
    removeSocket()
  }

  /// Removes the socket file (when this listener created it).
  public func removeSocket() {
    if let path { unlink(path) }
  }

  /// Accepts connections until the descriptor is closed; call it on a thread of its own (or the main thread).
  public func serve(_ agent: Agent) {
    let ourUID = getuid()
    while true {
      let client = keyhold_accept_cloexec(fd)
      if client < 0 {
        switch errno {
        case EINTR, ECONNABORTED, EAGAIN: continue
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
          usleep(100_000)
          continue
        default: return
        }
      }
      var pid: pid_t = 0
      var uid: uid_t = 0
      var gid: gid_t = 0
      guard keyhold_peer_cred(client, &pid, &uid, &gid) == 0 else {
        agent.log(.info, "getpeereid failed: \(String(cString: strerror(errno)))")
        close(client)
        continue
      }
      // Refuse before reading a byte: only our own user and root may talk to the agent.
      guard uid == ourUID || uid == 0 else {
        agent.log(.info, "uid mismatch: peer euid \(uid) != uid \(ourUID)")
        close(client)
        continue
      }
      let number = connections.add(1, ordering: .relaxed).newValue
      let state = AgentConnectionState(peerUID: uid, peerPID: pid, number: number)
      let started = workers.run { AgentListener.serveConnection(client, agent: agent, state: state) }
      if !started {
        agent.log(.info, "cannot start a thread for connection \(number)")
        close(client)
      }
    }
  }

  /// Starts ``serve(_:)`` on a thread of its own.
  public func serveInBackground(_ agent: Agent) {
    _ = PosixThread.spawn { self.serve(agent) }
  }

  /// Serves one accepted client socket until it closes (see ``AgentConnectionLoop/serve(_:agent:state:)``).
  static func serveConnection(_ fd: Int32, agent: Agent, state: AgentConnectionState) {
    var stream = SocketStream(fd: fd)
    AgentConnectionLoop.serve(&stream, agent: agent, state: state)
  }
}
