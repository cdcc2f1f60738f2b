import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where the signature log lives and how it rotates (keyhold-log(1), FILES): `signatures.log` in the state folder,
/// renamed to `signatures.log.1` once the next write would take it past ``maximumBytes``; the older files move up
/// to `.``keptFiles`` and the oldest is dropped.
public struct SignatureLogFiles: Sendable, Equatable {
  /// The log's file name in its folder.
  public static let fileName = "signatures.log"
  /// The size at which the log rotates: 4 MiB, about 10,000 records.
  public static let defaultMaximumBytes = 4 << 20
  /// Old files kept beside the current one.
  public static let defaultKeptFiles = 4

  /// The folder (`$XDG_STATE_HOME/keyhold`).
  public var directory: String
  /// The size at which the current file is rotated.
  public var maximumBytes: Int
  /// How many rotated files are kept.
  public var keptFiles: Int

  /// Describes the log in `directory`.
  public init(directory: String, maximumBytes: Int = defaultMaximumBytes, keptFiles: Int = defaultKeptFiles) {
    self.directory = directory
    self.maximumBytes = maximumBytes
    self.keptFiles = max(0, keptFiles)
  }

  /// The current file.
  public var path: String { directory + "/" + Self.fileName }

  /// The `n`th rotated file (1 is the newest).
  public func rotatedPath(_ n: Int) -> String { path + ".\(n)" }

  /// The files that exist, oldest first (the current one last).
  public func existing() -> [String] {
    let all = (0...keptFiles).reversed().map { $0 == 0 ? path : rotatedPath($0) }
    return all.filter { access($0, F_OK) == 0 }
  }

  /// Every record in the files, oldest first, and how many lines could not be read (with the first reason).
  public func read() -> (records: [SignatureRecord], unreadable: Int, firstError: String?) {
    var records: [SignatureRecord] = []
    var unreadable = 0
    var firstError: String? = nil
    for file in existing() {
      guard let data = FileManager.default.contents(atPath: file) else {
        unreadable += 1
        if firstError == nil { firstError = "\(file): \(String(cString: strerror(errno)))" }
        continue
      }
      var parser = SignatureLogLines()
      let (got, bad, why) = parser.take(Array(data), final: true)
      records += got
      unreadable += bad
      if firstError == nil, let why { firstError = "\(file): \(why)" }
    }
    return (records, unreadable, firstError)
  }

  /// Creates the folder and its missing parents with mode 0700, and takes group and other access off the
  /// folder itself when it has them (it holds who used which key).
  func makeDirectory() -> Int32 {
    var prefix = ""
    for part in directory.split(separator: "/", omittingEmptySubsequences: true) {
      prefix += "/" + part
      if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return errno }
    }
    var st = stat()
    guard stat(directory, &st) == 0 else { return errno }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { return ENOTDIR }
    if st.st_mode & 0o077 != 0 && st.st_uid == getuid() { _ = chmod(directory, 0o700) }
    return 0
  }

  /// Moves the current file to `.1` and each older one up by one; the oldest beyond ``keptFiles`` is replaced.
  func rotate() {
    guard keptFiles > 0 else {
      unlink(path)
      return
    }
    for n in stride(from: keptFiles, through: 2, by: -1) { _ = rename(rotatedPath(n - 1), rotatedPath(n)) }
    _ = rename(path, rotatedPath(1))
  }
}

/// Splits bytes into log lines and decodes them; a line cut short at the end is kept until the rest arrives.
public struct SignatureLogLines: Sendable {
  private var partial: [UInt8] = []

  /// Creates an empty splitter.
  public init() {}

  /// Decodes the complete lines in `partial + bytes`; with `final`, a last line without newline too. Returns the
  /// records, the number of lines that did not decode, and the first reason.
  public mutating func take(_ bytes: [UInt8], final: Bool = false) -> ([SignatureRecord], Int, String?) {
    var buffer = partial
    buffer += bytes
    partial = []
    var records: [SignatureRecord] = []
    var bad = 0
    var firstError: String? = nil
    var start = 0
    var lineNumber = 0
    func decode(_ line: ArraySlice<UInt8>) {
      lineNumber += 1
      guard !line.allSatisfy({ $0 == 32 || $0 == 13 }) else { return }
      do throws(SignatureLogCodec.DecodeError) {
        records.append(try SignatureLogCodec.decode(line))
      } catch {
        bad += 1
        if firstError == nil { firstError = error.description }
      }
    }
    while let nl = buffer[start...].firstIndex(of: 10) {
      decode(buffer[start..<nl])
      start = nl + 1
    }
    if start < buffer.count {
      if final { decode(buffer[start...]) } else { partial = Array(buffer[start...]) }
    }
    return (records, bad, firstError)
  }
}
