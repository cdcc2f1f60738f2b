#if canImport(Glibc)
  import Glibc
#endif

/// Writing whole buffers to descriptors.
public enum Descriptor {
  /// Writes every byte of `bytes` to `fd`: retries short writes and EINTR. A reader that went away (EPIPE) is an
  /// error, never a SIGPIPE: the signal is blocked on this thread for the call and a pending one it raised is
  /// consumed, so a process that did not ignore SIGPIPE is not killed by it. `label` names the descriptor in errors
  /// (a path, "standard output").
  public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, label: String) throws(SystemError) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    var pipeSignal = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    var saved = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &saved)
    // A SIGPIPE already pending before this call is not ours to consume.
    var pending = sigset_t()
    sigpending(&pending)
    let wasPending = sigismember(&pending, SIGPIPE) == 1
    var broke = false
    defer {
      if broke && !wasPending {
        var now = timespec(tv_sec: 0, tv_nsec: 0)
        _ = sigtimedwait(&pipeSignal, nil, &now)
      }
      pthread_sigmask(SIG_SETMASK, &saved, nil)
    }
    var off = 0
    while off < bytes.count {
      let n = write(fd, base + off, bytes.count - off)
      if n < 0 {
        let e = errno
        if e == EINTR { continue }
        broke = e == EPIPE
        throw .io(operation: "write", path: label, code: e)
      }
      off += n
    }
  }

  /// Writes every byte of `bytes` to `fd`; see the buffer-pointer form.
  public static func writeAll(_ fd: Int32, _ bytes: [UInt8], label: String) throws(SystemError) {
    // withUnsafeBytes rethrows untyped errors; carry the typed one out by hand.
    var failure: SystemError?
    bytes.withUnsafeBytes { raw in
      do throws(SystemError) { try writeAll(fd, raw, label: label) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  /// Zeroes `bytes` in a way the optimiser cannot drop (explicit_bzero(3)), for buffers that held secrets.
  public static func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
      if let base = raw.baseAddress, raw.count > 0 { explicit_bzero(base, raw.count) }
    }
  }
}
