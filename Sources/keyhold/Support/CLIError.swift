import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

/// An error the CLI prints as `keyhold: error: MESSAGE` (plus an optional `keyhold: hint: ...` line) before exiting.
struct CLIError: Error, CustomStringConvertible {
  /// The one-line message.
  var message: String
  /// A guess at the user's mistake, printed as a second line.
  var hint: String?
  /// The process exit status.
  var exitCode: Int32

  init(_ message: String, hint: String? = nil, exitCode: Int32 = 1) {
    self.message = message
    self.hint = hint
    self.exitCode = exitCode
  }

  var description: String { message }
}

/// Writes one line to standard error.
func printError(_ line: String) {
  var s = line
  if !s.hasSuffix("\n") { s += "\n" }
  let bytes = Array(s.utf8)
  var off = 0
  while off < bytes.count {
    let n = bytes.withUnsafeBytes { write(2, $0.baseAddress! + off, $0.count - off) }
    if n <= 0 { if n < 0 && errno == EINTR { continue } else { break } }
    off += n
  }
}

/// Runs a command body, turning any thrown error into the documented one-line message and exit status.
///
/// Every command's `run()` calls this, so all errors look alike: `keyhold: error: ...` and exit status 1 (or the
/// status the error carries).
func runReportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let e as CLIError {
    printError("keyhold: error: \(e.message)")
    if let hint = e.hint { printError("keyhold: hint: \(hint)") }
    throw ExitCode(e.exitCode)
  } catch let e as ExitCode {
    throw e
  } catch {
    printError("keyhold: error: \(error)")
    throw ExitCode(1)
  }
}
