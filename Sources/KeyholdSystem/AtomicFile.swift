#if canImport(Glibc)
  import Glibc
#endif

/// Durable atomic replacement of a file: a temporary file in the same folder created with the final mode, written
/// in full, fsynced, renamed over the target, then the folder fsynced (rename(2), fsync(2)). A crash leaves the
/// old file or the new one, never a mixture, plus at worst a stray temporary file named with ``tempPrefix(for:)``.
public enum AtomicFile {
  /// Replaces `path` with `contents` and mode `mode`.
  ///
  /// A `path` that is a symbolic link is written through to its target (``resolveTarget(_:)``): rename(2) would
  /// otherwise replace the link itself.
  public static func replace(path: String, contents: [UInt8], mode: UInt32 = 0o600) throws(SystemError) {
    let target = try resolveTarget(path)
    try replace(resolved: target, contents: contents, mode: mode)
  }

  /// Replaces exactly `path` (a link there is replaced, not followed); for callers that resolved it themselves.
  public static func replace(resolved path: String, contents: [UInt8], mode: UInt32 = 0o600) throws(SystemError) {
    try replace(resolved: path, contents: contents, mode: mode, writer: Descriptor.writeAll)
  }

  /// The replacement with the write step injectable, so tests can make it fail halfway.
  static func replace(
    resolved path: String, contents: [UInt8], mode: UInt32,
    writer: (Int32, [UInt8], String) throws(SystemError) -> Void
  ) throws(SystemError) {
    let dir = directory(of: path)
    var generator = SystemRandomNumberGenerator()
    let suffix = (0..<6).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }.joined()
    let temp = dir + "/" + tempPrefix(for: path) + suffix
    // Created 0600 and only then given `mode`: the file is never readable by others while it is being written.
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw .io(operation: "create", path: temp, code: errno) }
    var renamed = false
    defer { if !renamed { unlink(temp) } }
    do {
      defer { close(fd) }
      guard fchmod(fd, mode_t(mode)) == 0 else { throw SystemError.io(operation: "chmod", path: temp, code: errno) }
      try writer(fd, contents, temp)
      guard fsync(fd) == 0 else { throw SystemError.io(operation: "fsync", path: temp, code: errno) }
    }
    guard rename(temp, path) == 0 else { throw .io(operation: "rename onto", path: path, code: errno) }
    renamed = true
    try syncDirectory(dir)
  }

  /// The file a write of `path` must replace: `path` itself (also when it does not exist yet), or the target of the
  /// symbolic link at `path`.
  public static func resolveTarget(_ path: String) throws(SystemError) -> String {
    var st = stat()
    guard lstat(path, &st) == 0 else {
      let e = errno
      if e == ENOENT { return path }
      throw .io(operation: "stat", path: path, code: e)
    }
    guard (st.st_mode & S_IFMT) == S_IFLNK else { return path }
    guard let real = realpath(path, nil) else { throw .unresolvableLink(path: path, code: errno) }
    defer { free(real) }
    return String(cString: real)
  }

  /// fsyncs a folder so that a rename or unlink in it is durable.
  public static func syncDirectory(_ dir: String) throws(SystemError) {
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dfd >= 0 else { throw .io(operation: "open the folder", path: dir, code: errno) }
    defer { close(dfd) }
    guard fsync(dfd) == 0 else { throw .io(operation: "fsync the folder", path: dir, code: errno) }
  }

  /// The folder part of `path` (`.` for a bare file name, `/` for a file in the root).
  public static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let dir = String(path[..<slash])
    return dir.isEmpty ? "/" : dir
  }

  /// The last path component.
  public static func baseName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  /// The name prefix of `path`'s temporary files: `.NAME.tmp-`.
  public static func tempPrefix(for path: String) -> String { "." + baseName(of: path) + ".tmp-" }

  /// Removes temporary files a killed writer of `path` left behind. Call only while holding the lock that
  /// serialises writers of `path`, or a live writer's file is removed.
  public static func removeStaleTemps(for path: String) {
    let dir = directory(of: path)
    let prefix = tempPrefix(for: path)
    guard let d = opendir(dir) else { return }
    var stale: [String] = []
    while let ent = readdir(d) {
      let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasPrefix(prefix) { stale.append(name) }
    }
    closedir(d)
    for name in stale { unlink(dir + "/" + name) }
  }
}
