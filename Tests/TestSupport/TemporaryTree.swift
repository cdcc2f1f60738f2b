#if canImport(Glibc)
  import Glibc
#endif

/// Throwaway folders for tests and benchmarks: created private (mkdtemp(3), mode 0700) under /tmp, removed with
/// everything in them.
public enum TemporaryTree {
  /// A fresh private folder `/tmp/PREFIX-XXXXXX`; remove it with ``remove(_:)``.
  public static func make(_ prefix: String = "keyhold-test") -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      fatalError("mkdtemp /tmp/\(prefix)-XXXXXX: \(String(cString: strerror(errno)))")
    }
    return String(cString: p)
  }

  /// Removes `path` and everything under it; symbolic links are removed, never followed.
  public static func remove(_ path: String) {
    guard let d = opendir(path) else {
      unlink(path)
      return
    }
    var names: [String] = []
    while let ent = readdir(d) {
      let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { names.append(name) }
    }
    closedir(d)
    for n in names {
      let full = path + "/" + n
      var st = stat()
      if lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { remove(full) } else { unlink(full) }
    }
    rmdir(path)
  }
}
