/// Splits input that holds several keys one after another (what `keyhold import -` reads, keyhold-import(1)):
/// euca-add-keypair output (a KEYPAIR line, then a PEM block), aws ec2 create-key-pair JSON objects or text lines,
/// and bare PEM blocks.
///
/// Anything it does not recognise stays in one piece, so a single key of any format (DER, a `.pub` line, ...) reaches
/// the key file parser whole, exactly as it would from a file.
public enum KeyStream {
  /// The pieces of `data`, each holding one key (or the whole input when it is not a sequence of known blocks).
  public static func split(_ data: [UInt8]) -> [[UInt8]] {
    var pieces: [[UInt8]] = []
    var start = skipSpace(data, 0)
    while start < data.count {
      guard let end = blockEnd(data, from: start) else {
        // Not a known block: the rest goes to the parser as it is (when it is all there is, the whole input).
        pieces.append(Array(data[(pieces.isEmpty ? 0 : start)...]))
        return pieces
      }
      pieces.append(Array(data[start..<end]))
      start = skipSpace(data, end)
    }
    return pieces.isEmpty ? [data] : pieces
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }

  private static func skipSpace(_ data: [UInt8], _ i: Int) -> Int {
    var i = i
    while i < data.count, isSpace(data[i]) { i += 1 }
    return i
  }

  private static func hasPrefix(_ data: [UInt8], _ at: Int, _ prefix: String) -> Bool {
    let p = Array(prefix.utf8)
    return data.count - at >= p.count && data[at..<(at + p.count)].elementsEqual(p)
  }

  /// The end of the line that holds index `i` (just past its newline).
  private static func lineEnd(_ data: [UInt8], _ i: Int) -> Int {
    var i = i
    while i < data.count, data[i] != 0x0a { i += 1 }
    return min(i + 1, data.count)
  }

  /// Just past the first `-----END ...-----` line at or after `i`.
  private static func pemEnd(_ data: [UInt8], from i: Int) -> Int? {
    var line = i
    while line < data.count {
      var at = line
      while at < data.count, data[at] == 0x20 || data[at] == 0x09 { at += 1 }
      if hasPrefix(data, at, "-----END ") { return lineEnd(data, at) }
      line = lineEnd(data, line)
    }
    return nil
  }

  /// Just past the JSON object that starts at `i` (strings and escapes respected).
  private static func jsonEnd(_ data: [UInt8], from i: Int) -> Int? {
    var depth = 0
    var inString = false
    var escaped = false
    var j = i
    while j < data.count {
      let b = data[j]
      if inString {
        if escaped {
          escaped = false
        } else if b == UInt8(ascii: "\\") {
          escaped = true
        } else if b == UInt8(ascii: "\"") {
          inString = false
        }
      } else if b == UInt8(ascii: "\"") {
        inString = true
      } else if b == UInt8(ascii: "{") {
        depth += 1
      } else if b == UInt8(ascii: "}") {
        depth -= 1
        if depth == 0 { return j + 1 }
      }
      j += 1
    }
    return nil
  }

  /// The end of the known block starting at `i`, nil when no known block starts there.
  private static func blockEnd(_ data: [UInt8], from i: Int) -> Int? {
    if data[i] == UInt8(ascii: "{") { return jsonEnd(data, from: i) }
    if hasPrefix(data, i, "KEYPAIR") { return pemEnd(data, from: lineEnd(data, i)) }
    if hasPrefix(data, i, "-----BEGIN ") { return pemEnd(data, from: i) }
    // aws --output text: FINGERPRINT<TAB>-----BEGIN ... -----END ...-----<TAB>NAME<TAB>ID, the name and id on the
    // END line or on the next line.
    let first = lineEnd(data, i)
    if let tab = data[i..<first].firstIndex(of: 0x09), hasPrefix(data, tab + 1, "-----BEGIN "),
      let end = pemEnd(data, from: tab + 1)
    {
      let endLine = data[..<(end - 1)].lastIndex(of: 0x0a).map { $0 + 1 } ?? i
      if data[endLine..<end].contains(0x09) { return end }
      if end < data.count, data[end] == 0x09 { return lineEnd(data, end) }
      return end
    }
    return nil
  }
}
