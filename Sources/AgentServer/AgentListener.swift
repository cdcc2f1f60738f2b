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
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else { throw .pathTooLong(path) }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .system(call: "socket", path: path, errno: errno) }
    let old = umask(0o177)
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
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

  /// Reads frames from one client and answers each; closes the connection on EOF, an error, or a frame whose
  /// length is 0 or above 256 KiB (decided from the four length bytes, before the body is read).
  static func serveConnection(_ fd: Int32, agent: Agent, state initial: AgentConnectionState) {
    var state = initial
    var decoder = FrameDecoder()
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    defer {
      decoder.wipe()
      SecureBytes.wipe(&buffer)
      close(fd)
    }
    agent.log(.debug, "connection \(state.number): new client pid \(state.peerPID) uid \(state.peerUID)")
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return }
      buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      while true {
        var body: [UInt8]
        do {
          guard let next = try decoder.next() else { break }
          body = next
        } catch {
          agent.log(.info, "connection \(state.number): \(error); closing")
          return
        }
        var reply = agent.process(body, connection: &state)
        // Requests that may carry a private key or a passphrase are wiped once answered.
        if let t = body.first, t == 17 || t == 25 || t == 22 || t == 23 || t == 27 { SecureBytes.wipe(&body) }
        guard writeAll(fd, &reply) else { return }
      }
    }
  }

  static func writeAll(_ fd: Int32, _ bytes: inout [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
        if n < 0 {
          if errno == EINTR || errno == EAGAIN { continue }
          return false
        }
        offset += n
      }
      return true
    }
  }
}
