import Foundation

/// The line format of both host files (keyhold-hosts(5)): a header object naming the format and its version, then
/// one JSON object per line. JSON escapes every control character, so a user name or Name tag chosen by someone
/// else cannot forge a line.
enum HostBookFile {
  /// The most a host file may hold; a larger one is refused rather than read into memory.
  static let sizeLimit = 64 * 1024 * 1024

  struct Header: Codable, Equatable {
    var format: String
    var version: Int
  }

  static func encode<T: Encodable>(_ records: [T], format: String) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var out: [UInt8] = []
    // Encoding plain structs of strings and integers cannot fail.
    out += (try? encoder.encode(Header(format: format, version: 1))).map { [UInt8]($0) } ?? []
    out.append(0x0a)
    for r in records {
      out += (try? encoder.encode(r)).map { [UInt8]($0) } ?? []
      out.append(0x0a)
    }
    return out
  }

  static func decode<T: Decodable>(_ bytes: [UInt8], format: String, path: String) throws(HostBookError) -> [T] {
    let decoder = JSONDecoder()
    var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: true).makeIterator()
    guard let first = lines.next() else { return [] }
    guard let header = try? decoder.decode(Header.self, from: Data(first)), header.format == format else {
      throw .malformed(path: path, line: 1, why: "not a \(format) file")
    }
    guard header.version == 1 else { throw .unsupportedVersion(path: path, version: header.version) }
    var out: [T] = []
    var number = 1
    while let line = lines.next() {
      number += 1
      do { out.append(try decoder.decode(T.self, from: Data(line))) } catch {
        throw .malformed(path: path, line: number, why: "not a record")
      }
    }
    return out
  }
}

/// Why a host file could not be read or written; one line naming the file.
public enum HostBookError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A line that is not what the format says.
  case malformed(path: String, line: Int, why: String)
  /// A file written by a newer keyhold.
  case unsupportedVersion(path: String, version: Int)
  /// A file larger than a host file may be (``HostBookFile/sizeLimit``).
  case tooLarge(path: String, limit: Int)
  /// A system call failed.
  case io(String)

  public var description: String {
    switch self {
    case .malformed(let path, let line, let why): return "\(path): line \(line): \(why)"
    case .unsupportedVersion(let path, let version):
      return "\(path): format version \(version) is newer than this keyhold understands"
    case .tooLarge(let path, let limit): return "\(path): larger than \(limit >> 20) MiB"
    case .io(let why): return why
    }
  }
}
