import KeyholdCrypto
import KeyholdSystem
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// The vault's use of the system calls: KeyholdSystem's bounded read and durable atomic replace, with their errors
/// as ``VaultError``s, plus the checks only a vault needs (private folders, safe parents).
enum VaultIO {
  static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

  /// The folder part of `path` (`.` for a bare file name).
  static func directory(of path: String) -> String { AtomicFile.directory(of: path) }

  /// Reads a whole file, or returns nil when it does not exist.
  static func read(_ path: String, limit: Int) throws(VaultError) -> [UInt8]? {
    do {
      return try BoundedRead.file(path, limit: limit)
    } catch {
      throw VaultError(error)
    }
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

  /// Replaces exactly `path` with `bytes` durably (``AtomicFile/replace(resolved:contents:mode:)``): a crash at any
  /// point leaves either the old file or the new one, plus at worst a stray temp file that the next write removes.
  static func replace(_ path: String, with bytes: [UInt8], mode: UInt32 = 0o600) throws(VaultError) {
    do {
      try AtomicFile.replace(resolved: path, contents: bytes, mode: mode)
    } catch {
      throw VaultError(error)
    }
  }

  /// The file a write of `path` must replace: `path` itself, or the target of the symbolic link at `path`, so that
  /// a vault reached through a link is written through to the real file (rename(2) would replace the link).
  static func resolveTarget(_ path: String) throws(VaultError) -> String {
    do {
      return try AtomicFile.resolveTarget(path)
    } catch {
      throw VaultError(error)
    }
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

  /// Removes temp files a killed writer left behind. Call only while holding the lock.
  static func removeStaleTemps(for path: String) { AtomicFile.removeStaleTemps(for: path) }
}

extension VaultError {
  /// The vault's wording of a failed system call: the same `cannot OPERATION PATH: REASON` line; a file over its
  /// size cap is a damaged vault (only a damaged or foreign file is that large).
  public init(_ error: SystemError) {
    switch error {
    case .io(let operation, let path, let code):
      self = .io(operation: operation, path: path, reason: VaultIO.errorText(code))
    case .unresolvableLink(let path, let code): self = .unresolvableLink(path: path, reason: VaultIO.errorText(code))
    case .tooLarge(_, let limit): self = .corrupted("file is larger than \(limit) bytes")
    // Not raised by the vault's calls; kept readable should a caller map one.
    case .socketPathTooLong, .noTerminal, .lineTooLong:
      self = .io(operation: "complete", path: "the operation", reason: error.description)
    }
  }
}
