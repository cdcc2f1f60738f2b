import Foundation

/// Reads configuration files for endpoint and credential resolution; injected so resolution is testable with
/// in-memory or temporary files.
public struct ConfigFiles: Sendable {
  /// Returns the text of the file at a path, or nil when it cannot be read.
  public var read: @Sendable (String) -> String?
  /// Returns the names (not paths) of the entries of a folder, or an empty list.
  public var list: @Sendable (String) -> [String]

  /// Creates a reader from two functions.
  public init(read: @escaping @Sendable (String) -> String?, list: @escaping @Sendable (String) -> [String]) {
    self.read = read
    self.list = list
  }

  /// Reads the real file system.
  public static let local = ConfigFiles(
    read: { path in
      guard let data = FileManager.default.contents(atPath: path) else { return nil }
      return String(decoding: data, as: UTF8.self)
    },
    list: { path in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] })

  /// Reads from a dictionary of path → text (folders are inferred from the paths).
  public static func memory(_ files: [String: String]) -> ConfigFiles {
    ConfigFiles(
      read: { files[$0] },
      list: { dir in
        let prefix = dir.hasSuffix("/") ? dir : dir + "/"
        return files.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
          .map { String($0.dropFirst(prefix.count)) }
      })
  }
}
