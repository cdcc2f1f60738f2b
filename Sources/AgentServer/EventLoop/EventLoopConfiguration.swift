import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// Limits of an ``EventLoop``: its threads, frame size and per-connection output buffer.
public struct EventLoopConfiguration: Sendable, Equatable {
  /// Threads started with the loop and kept for its lifetime (each waits in epoll_wait when idle).
  public var coreThreads: Int
  /// The most threads the loop runs. Threads above ``coreThreads`` are started only while every thread is busy in
  /// a handler (a confirmation or passphrase prompt, a KDF); above this cap further requests wait in the kernel
  /// until a handler returns.
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

  /// Two threads per online core (at least 2, at most 8), growing to 12 under blocking handlers: the agent's main
  /// thread plus the loop stay within 16 threads whatever the number of connections.
  public init(
    coreThreads: Int = EventLoopConfiguration.defaultCoreThreads, maximumThreads: Int = 12,
    idleThreadTimeout: Duration = .seconds(30), maximumFrameLength: Int = FrameDecoder.defaultMaximumLength,
    outputPauseThreshold: Int = 64 * 1024, outputLimit: Int = 1024 * 1024, readChunk: Int = 16 * 1024
  ) {
    self.coreThreads = max(1, coreThreads)
    self.maximumThreads = max(self.coreThreads, maximumThreads)
    self.idleThreadTimeout = idleThreadTimeout
    self.maximumFrameLength = maximumFrameLength
    self.outputPauseThreshold = outputPauseThreshold
    self.outputLimit = max(outputLimit, outputPauseThreshold)
    self.readChunk = max(4, readChunk)
  }

  /// Two per online core, clamped to 2...8.
  public static var defaultCoreThreads: Int {
    let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    return min(8, max(2, 2 * max(1, cores)))
  }
}
