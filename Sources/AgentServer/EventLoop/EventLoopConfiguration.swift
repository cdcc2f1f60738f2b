import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// Limits of an ``EventLoop``: its threads, frame size and per-connection output buffer.
public struct EventLoopConfiguration: Sendable, Equatable {
  /// The most threads serving the listening socket: one waits in accept(2) and serves the connections it accepts
  /// itself, one watches it and takes over when it stays away (a handler that blocks), and former ones finish
  /// the connection they were serving. With 1, the accepting thread hands every connection to the epoll threads.
  public var maximumAcceptingThreads: Int
  /// How long the accepting thread may stay away from accept(2) before the watching one takes over: new clients
  /// wait at most about twice this for a handler that blocks.
  public var takeOverAfter: Duration
  /// How long the accepting thread waits on its connection for the next request (or the end of it) before it
  /// hands the connection to the epoll threads; shorter than ``takeOverAfter``, so that waiting alone never
  /// causes a take-over.
  public var lingerTimeout: Duration
  /// Epoll threads started with the loop and kept for its lifetime (each waits in epoll_wait when idle).
  public var coreThreads: Int
  /// The most epoll threads the loop runs. Threads above ``coreThreads`` are started only while every epoll
  /// thread is busy in a handler (a confirmation or passphrase prompt, a KDF); above this cap further requests
  /// wait in the kernel until a handler returns.
  public var maximumThreads: Int
  /// How long a thread above ``coreThreads`` waits for work before it exits.
  public var idleThreadTimeout: Duration
  /// The largest frame body accepted; a longer (or zero) announced length closes the connection before the body
  /// is read.
  public var maximumFrameLength: Int
  /// While this many reply bytes are unsent on a connection, it is neither read nor are its buffered requests
  /// answered: a client that never reads holds its own buffers only.
  public var outputPauseThreshold: Int
  /// A connection whose unsent reply bytes would exceed this is closed.
  public var outputLimit: Int
  /// Bytes asked of each read(2).
  public var readChunk: Int

  /// Up to three accepting threads (two while nothing blocks), and one epoll thread per online core (at least 2,
  /// at most 8) growing to 12 under blocking handlers: the agent's main thread plus the loop stay within 16
  /// threads whatever the number of connections. The accepting thread waits 2 ms for a connection's next request
  /// or its end: a client such as `ssh-add -l` closes at once; ssh, which asks the server between two requests,
  /// is served by the epoll threads after that.
  public init(
    maximumAcceptingThreads: Int = 3, takeOverAfter: Duration = .milliseconds(10),
    lingerTimeout: Duration = .milliseconds(2),
    coreThreads: Int = EventLoopConfiguration.defaultCoreThreads, maximumThreads: Int = 12,
    idleThreadTimeout: Duration = .seconds(30), maximumFrameLength: Int = FrameDecoder.defaultMaximumLength,
    outputPauseThreshold: Int = 64 * 1024, outputLimit: Int = 1024 * 1024, readChunk: Int = 16 * 1024
  ) {
    self.maximumAcceptingThreads = max(1, maximumAcceptingThreads)
    self.takeOverAfter = max(.milliseconds(1), takeOverAfter)
    self.lingerTimeout = min(max(.zero, lingerTimeout), self.takeOverAfter / 2)
    self.coreThreads = max(1, coreThreads)
    self.maximumThreads = max(self.coreThreads, maximumThreads)
    self.idleThreadTimeout = idleThreadTimeout
    self.maximumFrameLength = maximumFrameLength
    self.outputPauseThreshold = outputPauseThreshold
    self.outputLimit = max(outputLimit, outputPauseThreshold)
    self.readChunk = max(4, readChunk)
  }

  /// One per online core, clamped to 2...8.
  public static var defaultCoreThreads: Int {
    let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    return min(8, max(2, cores))
  }
}
