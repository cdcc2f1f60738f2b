/// The agent's `-d`/`-D` log: a level filter in front of the configured sink, and the escaping that keeps a
/// client from writing its own lines into it.
struct AgentLogger: Sendable {
  let sink: (@Sendable (_ level: AgentLogLevel, _ line: String) -> Void)?
  let level: AgentLogLevel

  /// Passes `line` to the sink when `level` is logged, escaped with ``AgentLogEscape/escape(_:)``.
  ///
  /// Escaping the whole line here, at the one way into the log, covers every client-controlled string a line
  /// carries (extension and key type names, comments, error texts quoting the wire) without each call site
  /// having to remember; the agent's own text is printable ASCII and passes unchanged.
  func callAsFunction(_ level: AgentLogLevel, _ line: @autoclosure () -> String) {
    guard level <= self.level, let sink else { return }
    sink(level, AgentLogEscape.escape(line()))
  }
}

/// vis(3)-style escaping for log lines, as OpenSSH escapes what it logs (`VIS_SAFE | VIS_OCTAL`, with C-style
/// `\n` and `\t`): a client-sent newline or terminal escape cannot start a forged line or repaint the terminal.
public enum AgentLogEscape {
  /// `text` with printable ASCII (0x20–0x7e) kept except the backslash, which becomes `\\`; newline and tab
  /// become `\n` and `\t`; every other byte of its UTF-8 becomes `\ooo` (three octal digits).
  public static func escape(_ text: String) -> String {
    let utf8 = text.utf8
    // The common case, a line with nothing to escape, is returned as it is.
    if !utf8.contains(where: { $0 < 0x20 || $0 > 0x7e || $0 == UInt8(ascii: "\\") }) { return text }
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count + 16)
    for b in utf8 {
      switch b {
      case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
      case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0x20...0x7e: out.append(b)
      default:
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "0") + (b >> 6))
        out.append(UInt8(ascii: "0") + ((b >> 3) & 7))
        out.append(UInt8(ascii: "0") + (b & 7))
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
