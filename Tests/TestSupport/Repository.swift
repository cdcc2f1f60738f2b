import Foundation

/// The checkout the tests and benchmarks were built from.
public enum Repository {
  /// The repository root: the nearest folder above this file that holds Package.swift.
  public static let root: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
      url = url.deletingLastPathComponent()
    }
    fatalError("Package.swift not found above \(#filePath)")
  }()
}
