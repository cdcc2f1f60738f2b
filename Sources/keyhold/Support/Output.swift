#if canImport(Glibc)
  import Glibc
#endif

/// Writes text to standard output, all of it, unbuffered (so nothing is lost if the process is killed right after).
func writeStdout(_ text: String) throws {
  try writeAll(1, Array(text.utf8))
}

/// Writes every byte to a descriptor, retrying short writes.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
  var off = 0
  while off < bytes.count {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
    if n < 0 {
      if errno == EINTR { continue }
      throw CLIError("cannot write output: \(String(cString: strerror(errno)))")
    }
    off += n
  }
}
