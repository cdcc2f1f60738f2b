import KeyholdCrypto
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// The system calls behind the store: whole-file reads, durable atomic replacement, private folders.
enum VaultIO {
  static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

  /// The folder part of `path` (`.` for a bare file name).
  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let dir = String(path[..<slash])
    return dir.isEmpty ? "/" : dir
  }

  /// The last path component.
  static func baseName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  /// Reads a whole file, or returns nil when it does not exist.
  static func read(_ path: String, limit: Int) throws(VaultError) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT { return nil }
      throw .io(operation: "open", path: path, reason: errorText())
    }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .io(operation: "read", path: path, reason: errorText())
      }
      if n == 0 { break }
      out += chunk[..<n]
      if out.count > limit { throw .corrupted("file is larger than \(limit) bytes") }
    }
    return out
  }

  /// Creates `path` and missing parents with mode 0700.
  static func makeDirectory(_ path: String) throws(VaultError) {
    var components: [String] = []
    var current = ""
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      current += (current.isEmpty && !path.hasPrefix("/") ? "" : "/") + part
      components.append(current)
    }
    for dir in components where mkdir(dir, 0o700) != 0 && errno != EEXIST {
      throw .io(operation: "create the folder", path: dir, reason: errorText())
    }
  }

  /// Replaces `path` with `bytes` durably: temp file in the same folder, write, fsync, rename, fsync the folder.
  ///
  /// A crash at any point leaves either the old file or the new one at `path` (rename(2) is atomic), plus at worst a
  /// stray temp file that the next write removes.
  static func replace(_ path: String, with bytes: [UInt8], mode: UInt32 = 0o600) throws(VaultError) {
    let dir = directory(of: path)
    let suffix = Hex.encode(Sodium.randomBytes(6))
    let temp = dir + "/" + tempPrefix(for: path) + suffix
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw .io(operation: "create", path: temp, reason: errorText()) }
    var ok = false
    defer {
      if !ok { unlink(temp) }
    }
    do {
      defer { close(fd) }
      guard fchmod(fd, mode_t(mode)) == 0 else {
        throw VaultError.io(operation: "chmod", path: temp, reason: errorText())
      }
      var off = 0
      while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 {
          if errno == EINTR { continue }
          throw VaultError.io(operation: "write", path: temp, reason: errorText())
        }
        off += n
      }
      guard fsync(fd) == 0 else { throw VaultError.io(operation: "fsync", path: temp, reason: errorText()) }
    } catch let e as VaultError {
      throw e
    } catch {
      throw .io(operation: "write", path: temp, reason: "\(error)")
    }
    guard rename(temp, path) == 0 else { throw .io(operation: "rename onto", path: path, reason: errorText()) }
    ok = true
    try syncDirectory(dir)
  }

  /// The file a write of `path` must replace: `path` itself, or the target of the symbolic link at `path`, so that
  /// a vault reached through a link is written through to the real file (rename(2) would replace the link).
  static func resolveTarget(_ path: String) throws(VaultError) -> String {
    var st = stat()
    guard lstat(path, &st) == 0 else {
      if errno == ENOENT { return path }
      throw .io(operation: "stat", path: path, reason: errorText())
    }
    guard (st.st_mode & S_IFMT) == S_IFLNK else { return path }
    guard let real = realpath(path, nil) else { throw .unresolvableLink(path: path, reason: errorText()) }
    defer { free(real) }
    return String(cString: real)
  }

  /// Refuses a folder that group or others may write: they could rename another file over the vault or plant its
  /// lock and temp files.
  static func checkFolder(_ dir: String) throws(VaultError) {
    var st = stat()
    guard stat(dir, &st) == 0 else {
      if errno == ENOENT { return }
      throw .io(operation: "stat the folder", path: dir, reason: errorText())
    }
    if st.st_mode & (S_IWGRP | S_IWOTH) != 0 { throw .unsafeFolder(dir) }
  }

  /// fsyncs a folder so that a rename or unlink in it is durable.
  static func syncDirectory(_ dir: String) throws(VaultError) {
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dfd >= 0 else { throw .io(operation: "open the folder", path: dir, reason: errorText()) }
    defer { close(dfd) }
    guard fsync(dfd) == 0 else { throw .io(operation: "fsync the folder", path: dir, reason: errorText()) }
  }

  /// The name prefix of `path`'s temp files: `.NAME.tmp-`.
  static func tempPrefix(for path: String) -> String { "." + baseName(of: path) + ".tmp-" }

  /// Removes temp files a killed writer left behind. Call only while holding the lock.
  static func removeStaleTemps(for path: String) {
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
