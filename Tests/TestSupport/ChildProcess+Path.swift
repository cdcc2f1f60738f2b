import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension ChildProcess {
  /// The first executable called `name` in the directories of PATH (`/usr/bin` when PATH is unset), as execvp(3)
  /// would find it; nil when there is none.
  public static func findExecutable(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
      let path = "\(dir)/\(name)"
      if access(path, X_OK) == 0 { return path }
    }
    return nil
  }
}
