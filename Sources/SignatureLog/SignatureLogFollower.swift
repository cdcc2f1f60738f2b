#if canImport(Glibc)
  import Glibc
#endif

/// Reads the current log file as it grows (`keyhold log --follow`), across rotations: when the file at the log's
/// path is a new one, the rest of the old file is read first, then the new file from its start.
public final class SignatureLogFollower {
  /// The files followed.
  public let files: SignatureLogFiles
  private var fd: Int32 = -1
  private var inode: ino_t = 0
  private var lines = SignatureLogLines()

  /// Follows the current file of `files` from its start.
  public init(files: SignatureLogFiles) { self.files = files }

  deinit { if fd >= 0 { close(fd) } }

  /// The records appended since the last call (all of the current file at the first), and how many lines did
  /// not decode.
  public func poll() -> (records: [SignatureRecord], unreadable: Int) {
    var records: [SignatureRecord] = []
    var bad = 0
    for _ in 0..<2 {
      if fd < 0 {
        fd = open(files.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { break }
        var st = stat()
        fstat(fd, &st)
        inode = st.st_ino
        lines = SignatureLogLines()
      }
      let (got, unreadable) = readToEnd()
      records += got
      bad += unreadable
      var st = stat()
      if stat(files.path, &st) == 0 && st.st_ino == inode { break }
      // Rotated (or removed): what the old file held is read; go on with the new one.
      close(fd)
      fd = -1
    }
    return (records, bad)
  }

  private func readToEnd() -> ([SignatureRecord], Int) {
    var records: [SignatureRecord] = []
    var bad = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      let (got, unreadable, _) = lines.take(Array(buffer[0..<n]))
      records += got
      bad += unreadable
    }
    return (records, bad)
  }
}
