#if canImport(Glibc)
  import Glibc
#endif

/// Reading whole files with a size cap, so a huge or endless input (a device, a FIFO) is refused instead of
/// filling memory.
public enum BoundedRead {
  /// Reads `path` whole; nil when it does not exist. More than `limit` bytes is ``SystemError/tooLarge(path:limit:)``.
  ///
  /// With `wipe`, every buffer that held file bytes and is not returned is zeroed (for key files).
  public static func file(_ path: String, limit: Int, wipe: Bool = false) throws(SystemError) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      let e = errno
      if e == ENOENT { return nil }
      throw .io(operation: "open", path: path, code: e)
    }
    defer { close(fd) }
    return try descriptor(fd, label: path, limit: limit, wipe: wipe)
  }

  /// Reads `fd` to its end; `label` names it in errors (a path, "standard input").
  public static func descriptor(_ fd: Int32, label: String, limit: Int, wipe: Bool = false) throws(SystemError)
    -> [UInt8]
  {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    defer { if wipe { Descriptor.wipe(&chunk) } }
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 {
        let e = errno
        if e == EINTR { continue }
        if wipe { Descriptor.wipe(&out) }
        throw .io(operation: "read", path: label, code: e)
      }
      if n == 0 { break }
      if out.count + n > limit {
        if wipe { Descriptor.wipe(&out) }
        throw .tooLarge(path: label, limit: limit)
      }
      if wipe && out.capacity < out.count + n {
        // Growing would leave the old storage behind unwiped: move to a larger buffer by hand.
        var bigger: [UInt8] = []
        bigger.reserveCapacity(min(limit, max(2 * out.capacity, out.count + n)))
        bigger += out
        Descriptor.wipe(&out)
        out = bigger
      }
      out += chunk[..<n]
    }
    return out
  }
}
