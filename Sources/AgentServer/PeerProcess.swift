import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The process on the other end of a connection and its parents, read from /proc (proc(5)) when the agent
/// accepts the connection, for the signature log: `ssh` started by `git` started by a shell says more than a pid.
///
/// Read at accept time because the peer may be gone by the time it signs, or its pid reused. A field that cannot
/// be read (the process exited, or /proc/PID/exe of a process that made itself undumpable) is nil; reading never
/// fails the connection. A class, so connections and log records share one copy.
public final class PeerProcess: Sendable {
  /// One process of the chain.
  public struct Entry: Sendable, Equatable {
    /// The process id.
    public let pid: Int32
    /// `/proc/PID/comm`: the command name, at most 15 bytes.
    public let name: String?
    /// The target of `/proc/PID/exe`.
    public let executable: String?

    /// Creates an entry.
    public init(pid: Int32, name: String?, executable: String?) {
      self.pid = pid
      self.name = name
      self.executable = executable
    }
  }

  /// The most parents read.
  public static let maximumParents = 4

  /// The peer itself.
  public let process: Entry
  /// Its parents, nearest first.
  public let parents: [Entry]

  /// Creates a chain (tests build them by hand).
  public init(process: Entry, parents: [Entry]) {
    self.process = process
    self.parents = parents
  }

  /// Reads `pid` and up to ``maximumParents`` of its ancestors from `proc` (normally `/proc`).
  ///
  /// The peer itself is always read. Its parents (a shell, git, an IDE: long-lived) are taken from a short-lived
  /// cache when the same parent was read within ``parentCacheSeconds``, which spares a busy client's connections
  /// most of the system calls; the cost is that a parent pid reused within that time shows the old process.
  public static func read(pid: Int32, proc: String = "/proc", now: UInt64? = nil) -> PeerProcess {
    let dir = proc + "/\(pid)"
    // One read of /proc/PID/stat gives both the name and the parent.
    let (name, parent) = statFields(dir)
    let me = Entry(pid: pid, name: name, executable: link(dir + "/exe"))
    guard let parent, parent > 0 else { return PeerProcess(process: me, parents: []) }
    let second = now ?? UInt64(max(0, time(nil)))
    let key = ParentKey(proc: proc, pid: parent)
    if let cached = parentCache.withLock({ $0[key] }), second &- cached.at < parentCacheSeconds {
      return PeerProcess(process: me, parents: cached.chain)
    }
    var chain: [Entry] = []
    var next: Int32? = parent
    while let current = next, current > 0, chain.count < maximumParents {
      let d = proc + "/\(current)"
      let (n, p) = statFields(d)
      chain.append(Entry(pid: current, name: n, executable: link(d + "/exe")))
      next = p
    }
    parentCache.withLock { cache in
      if cache.count >= 256 { cache.removeAll(keepingCapacity: true) }
      cache[key] = (second, chain)
    }
    return PeerProcess(process: me, parents: chain)
  }

  /// How long a parent chain read from /proc is reused, in seconds.
  public static let parentCacheSeconds: UInt64 = 5

  struct ParentKey: Hashable {
    let proc: String
    let pid: Int32
  }

  private static let parentCache = Mutex<[ParentKey: (at: UInt64, chain: [Entry])]>([:])

  /// The command name (what `/proc/PID/comm` holds) and the parent pid from `/proc/PID/stat`: `pid (comm) state
  /// ppid ...`, where the name may itself hold spaces and parentheses, so the first `(` and the last `)` bound it.
  static func statFields(_ dir: String) -> (name: String?, parent: Int32?) {
    guard let bytes = small(dir + "/stat"), let open = bytes.firstIndex(of: UInt8(ascii: "(")),
      let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close
    else { return (nil, nil) }
    let name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
    let fields = bytes[(close + 1)...].split(separator: 32)
    guard fields.count >= 2 else { return (name, nil) }
    return (name, Int32(String(decoding: fields[1], as: UTF8.self)))
  }

  static func link(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
    let n = readlink(path, &buffer, buffer.count)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The first 1 KiB of a /proc file.
  static func small(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
    guard n > 0 else { return nil }
    return Array(buffer[0..<n])
  }
}
