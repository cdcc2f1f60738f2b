import ArgumentParser
import KeyholdSystem

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
  // Nothing is left to tell the user when standard error itself fails.
  try? Descriptor.writeAll(2, Array(s.utf8), label: "standard error")
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

/// How a command line that could not be parsed is reported: `keyhold: error: MESSAGE`, then
/// `keyhold: hint: ...` naming the help to read, and exit status 2 (keyhold(1), EXIT STATUS).
struct UsageReport: Equatable, Sendable {
  /// Exit status of a usage error, as keyhold(1) documents it.
  static let usageExitCode: Int32 = 2

  /// The one-line message, lowercase like every other keyhold error.
  var message: String
  /// The help to read, or the command the user probably meant.
  var hint: String
  /// The process exit status.
  var exitCode: Int32

  /// Builds the report for an error ArgumentParser threw while parsing or validating `arguments`.
  init(error: Error, arguments: [String]) {
    let names = Keyhold.allSubcommands.map { $0._commandName }
    let command = arguments.first.flatMap { names.contains($0) ? $0 : nil }
    let raw = Keyhold.message(for: error)
    message = Self.oneLine(raw.isEmpty ? "invalid command line" : raw)
    exitCode = Keyhold.exitCode(for: error) == .failure ? 1 : Self.usageExitCode
    if let command {
      hint = "see 'keyhold \(command) --help'"
    } else if let first = arguments.first, !first.hasPrefix("-") {
      message = "unknown command '\(first)'"
      if let guess = Self.closest(to: first, in: names) {
        hint = "did you mean 'keyhold \(guess)'? see 'keyhold --help'"
      } else {
        hint = "see 'keyhold --help' for the commands"
      }
    } else {
      hint = "see 'keyhold --help'"
    }
  }

  /// ArgumentParser's messages are capitalised and sometimes span lines; keyhold's are one lowercase line.
  static func oneLine(_ text: String) -> String {
    var line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
      .joined(separator: "; ")
    if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
    // Lowercase the first word unless it is an acronym ("KDF", "PEM").
    let first = line.prefix(while: { !$0.isWhitespace })
    if let head = first.first, head.isUppercase, first.dropFirst().allSatisfy({ !$0.isUppercase }) {
      line = head.lowercased() + line.dropFirst()
    }
    return line
  }

  /// The subcommand nearest to a mistyped one, when it is close enough to be a typo.
  static func closest(to word: String, in names: [String]) -> String? {
    let scored = names.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 }
    guard let (name, d) = scored, d <= max(2, name.count / 3) else { return nil }
    return name
  }

  /// Edit distance counting a swap of two neighbours as one edit (optimal string alignment), so "lsit" is one
  /// edit from "list".
  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
      }
    }
    return d[a.count][b.count]
  }
}

extension Substring {
  fileprivate func trimmingCharacters() -> String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}
