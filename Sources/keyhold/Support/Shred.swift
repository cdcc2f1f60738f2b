import KeyholdCrypto
import KeyholdSystem
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// Removes a key file the way `--shred` promises: overwrite its bytes with zeros, fsync, unlink, fsync the folder.
///
/// On journalling or copy-on-write file systems and SSDs the old blocks may survive the overwrite; the unlink is
/// what is guaranteed (keyhold-import(1) says so).
func shredFile(_ path: String) throws {
  let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
  guard fd >= 0 else { throw CLIError("cannot shred \(path): \(String(cString: strerror(errno)))") }
  var st = stat()
  guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
    close(fd)
    throw CLIError("cannot shred \(path): not a regular file")
  }
  // A failed overwrite still unlinks: removing the file is the part --shred guarantees.
  let zeros = [UInt8](repeating: 0, count: 64 * 1024)
  var left = Int(st.st_size)
  while left > 0 {
    let n = min(left, zeros.count)
    guard (try? Descriptor.writeAll(fd, Array(zeros[..<n]), label: path)) != nil else { break }
    left -= n
  }
  fsync(fd)
  close(fd)
  guard unlink(path) == 0 else { throw CLIError("cannot remove \(path): \(String(cString: strerror(errno)))") }
  let dir = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
  let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  if dfd >= 0 {
    fsync(dfd)
    close(dfd)
  }
}

/// The size limits on key input, shared by `import` and `fingerprint` so that both accept the same files.
enum KeyInput {
  /// The largest key file (or one key's worth of standard input): the key file parser's own limit.
  static let maxBytes = KeyFile.Limits.default.maxInputBytes

  /// Standard input of `import` may carry many keys one after another; each piece is still held to ``maxBytes``.
  static let maxStandardInputBytes = 64 * maxBytes

  /// The message for input over a limit.
  static func tooLarge(_ label: String, limit: Int) -> String {
    "\(label) is larger than \(limit >> 20) MiB\(limit == maxBytes ? ", the limit for a key file" : "")"
  }
}

/// Reads a whole file, or standard input for `-`, refusing more than `limit` bytes; buffers that held key bytes
/// are wiped.
func readInput(_ path: String, limit: Int = KeyInput.maxBytes) throws -> [UInt8] {
  let label = path == "-" ? "standard input" : path
  do {
    if path == "-" { return try BoundedRead.descriptor(0, label: label, limit: limit, wipe: true) }
    guard let bytes = try BoundedRead.file(path, limit: limit, wipe: true) else {
      throw CLIError(
        "cannot read \(path): \(SystemError.reason(ENOENT))", hint: "give a key file path, or - to read standard input")
    }
    return bytes
  } catch let error as SystemError {
    switch error {
    case .tooLarge: throw CLIError(KeyInput.tooLarge(label, limit: limit))
    case .io(_, _, EISDIR): throw CLIError("cannot read \(label): is a directory")
    case .io(_, _, let code): throw CLIError("cannot read \(label): \(SystemError.reason(code))")
    default: throw CLIError(error.description)
    }
  }
}
