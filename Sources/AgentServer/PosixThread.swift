#if canImport(Glibc)
  import Glibc
#endif

/// Starts detached POSIX threads. Plain threads keep the agent free of a runtime event loop: each connection
/// blocks in `read` on its own thread, so the kernel schedules clients on both cores.
enum PosixThread {
  private final class Box {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }

  /// Runs `body` on a new detached thread with a `stackSize`-byte stack.
  static func spawn(stackSize: Int = 512 * 1024, _ body: @escaping @Sendable () -> Void) -> Bool {
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    pthread_attr_setstacksize(&attr, stackSize)
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
      &thread, &attr,
      { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
      }, box)
    if rc != 0 {
      Unmanaged<Box>.fromOpaque(box).release()
      return false
    }
    return true
  }
}
