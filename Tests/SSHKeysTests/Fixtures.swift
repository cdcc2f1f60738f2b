import Foundation
import TestSupport

/// Locates committed test data under `<repo>/testdata`.
enum Fixtures {
  /// The repository root: the nearest folder above this file that holds Package.swift.
  static let root = Repository.root

  /// `<root>/testdata/<relative>`.
  static func url(_ relative: String) -> URL {
    root.appendingPathComponent("testdata").appendingPathComponent(relative)
  }

  /// The bytes of a test data file.
  static func bytes(_ relative: String) throws -> [UInt8] { Array(try Data(contentsOf: url(relative))) }

  /// The text of a test data file.
  static func text(_ relative: String) throws -> String { String(decoding: try bytes(relative), as: UTF8.self) }

  /// Names of the files in a test data folder, sorted.
  static func list(_ folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url(folder).path).sorted()
  }

  /// Decodes lowercase or uppercase hex.
  static func hex(_ s: String) -> [UInt8] {
    var out = [UInt8]()
    var it = s.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 {
      switch c {
      case 0x30...0x39: return c - 0x30
      case 0x61...0x66: return c - 0x61 + 10
      case 0x41...0x46: return c - 0x41 + 10
      default: fatalError("bad hex")
      }
    }
    while let a = it.next(), let b = it.next() { out.append(nibble(a) << 4 | nibble(b)) }
    return out
  }
}
