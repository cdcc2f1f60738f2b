/// A small, total XML scanner that builds an `XMLElement` tree.
///
/// It reads the subset EC2-compatible services send: elements, attributes (skipped), character data with the five
/// predefined entities and numeric character references, CDATA sections, comments, processing instructions and a
/// DOCTYPE (skipped). Every read is bounds-checked and every malformation is a typed `XMLError`; nothing traps.
/// It is a single pass over the bytes with no per-event callbacks, which is why it is used instead of Foundation's
/// `XMLParser`: a 5,000-item DescribeKeyPairs answer parses in a few milliseconds.
public enum XMLScanner {
  /// How deep elements may nest; EC2 answers nest about six levels.
  public static let maxDepth = 256

  /// Parses a whole document and returns its root element.
  public static func parse(_ bytes: [UInt8]) throws(XMLError) -> XMLElement {
    let result: Result<XMLElement, XMLError> = bytes.withUnsafeBufferPointer { p in
      do throws(XMLError) {
        var scanner = Scanner(p: p)
        return .success(try scanner.document())
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Parses a document held in a string.
  public static func parse(_ string: String) throws(XMLError) -> XMLElement {
    try parse(Array(string.utf8))
  }
}

private struct Open {
  var name: String
  var text: [UInt8] = []
  var children: [XMLElement] = []
}

private struct Scanner {
  let p: UnsafeBufferPointer<UInt8>
  var i = 0
  var stack: [Open] = []
  var root: XMLElement?

  init(p: UnsafeBufferPointer<UInt8>) { self.p = p }

  static let lt = UInt8(ascii: "<")
  static let gt = UInt8(ascii: ">")
  static let slash = UInt8(ascii: "/")
  static let amp = UInt8(ascii: "&")

  @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }

  /// Index of the first occurrence of `needle` at or after `from`, or nil.
  func find(_ needle: [UInt8], from: Int) -> Int? {
    guard let first = needle.first, needle.count <= p.count else { return nil }
    var j = from
    let last = p.count - needle.count
    while j <= last {
      if p[j] == first {
        var k = 1
        while k < needle.count && p[j + k] == needle[k] { k += 1 }
        if k == needle.count { return j }
      }
      j += 1
    }
    return nil
  }

  func startsWith(_ s: [UInt8], at j: Int) -> Bool {
    guard j + s.count <= p.count else { return false }
    for k in 0..<s.count where p[j + k] != s[k] { return false }
    return true
  }

  mutating func document() throws(XMLError) -> XMLElement {
    // A UTF-8 byte order mark may precede the declaration.
    if startsWith([0xef, 0xbb, 0xbf], at: 0) { i = 3 }
    while i < p.count {
      if p[i] == Scanner.lt {
        try markup()
      } else {
        try characterData()
      }
    }
    if !stack.isEmpty { throw .unexpectedEnd(offset: p.count) }
    guard let root else { throw .noRootElement }
    return root
  }

  mutating func markup() throws(XMLError) {
    let start = i
    guard i + 1 < p.count else { throw .unexpectedEnd(offset: p.count) }
    switch p[i + 1] {
    case UInt8(ascii: "?"):
      guard let end = find(Array("?>".utf8), from: i + 2) else { throw .unexpectedEnd(offset: p.count) }
      i = end + 2
    case UInt8(ascii: "!"):
      if startsWith(Array("<!--".utf8), at: i) {
        guard let end = find(Array("-->".utf8), from: i + 4) else { throw .unexpectedEnd(offset: p.count) }
        i = end + 3
      } else if startsWith(Array("<![CDATA[".utf8), at: i) {
        guard let end = find(Array("]]>".utf8), from: i + 9) else { throw .unexpectedEnd(offset: p.count) }
        guard !stack.isEmpty else { throw .contentOutsideRoot(offset: start) }
        stack[stack.count - 1].text.append(contentsOf: p[(i + 9)..<end])
        i = end + 3
      } else {
        // A DOCTYPE, possibly with an internal subset in brackets: skipped, never interpreted.
        var j = i + 2
        var depth = 0
        while j < p.count {
          if p[j] == UInt8(ascii: "[") { depth += 1 }
          if p[j] == UInt8(ascii: "]") { depth -= 1 }
          if p[j] == Scanner.gt && depth <= 0 { break }
          j += 1
        }
        guard j < p.count else { throw .unexpectedEnd(offset: p.count) }
        i = j + 1
      }
    case Scanner.slash:
      try endTag(start: start)
    default:
      try startTag(start: start)
    }
  }

  /// Reads a name at `i`; returns the local part (after the last colon).
  mutating func name(start: Int) throws(XMLError) -> String {
    let begin = i
    var colon = -1
    while i < p.count {
      let b = p[i]
      if Scanner.isSpace(b) || b == Scanner.slash || b == Scanner.gt || b == UInt8(ascii: "=") || b == Scanner.lt
        || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")
      {
        break
      }
      if b == UInt8(ascii: ":") { colon = i }
      i += 1
    }
    if i >= p.count { throw .unexpectedEnd(offset: p.count) }
    let localStart = colon >= 0 ? colon + 1 : begin
    guard localStart < i else { throw .malformedTag(offset: start) }
    return String(decoding: UnsafeBufferPointer(rebasing: p[localStart..<i]), as: UTF8.self)
  }

  mutating func skipSpace() {
    while i < p.count && Scanner.isSpace(p[i]) { i += 1 }
  }

  mutating func startTag(start: Int) throws(XMLError) {
    i += 1
    let n = try name(start: start)
    var selfClosing = false
    while true {
      skipSpace()
      guard i < p.count else { throw .unexpectedEnd(offset: p.count) }
      let b = p[i]
      if b == Scanner.gt {
        i += 1
        break
      }
      if b == Scanner.slash {
        guard i + 1 < p.count else { throw .unexpectedEnd(offset: p.count) }
        guard p[i + 1] == Scanner.gt else { throw .malformedTag(offset: start) }
        i += 2
        selfClosing = true
        break
      }
      // An attribute: name = "value" or 'value'. Read and dropped (namespace declarations included).
      _ = try name(start: start)
      skipSpace()
      guard i < p.count else { throw .unexpectedEnd(offset: p.count) }
      guard p[i] == UInt8(ascii: "=") else { throw .malformedTag(offset: start) }
      i += 1
      skipSpace()
      guard i < p.count else { throw .unexpectedEnd(offset: p.count) }
      let quote = p[i]
      guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { throw .malformedTag(offset: start) }
      i += 1
      while i < p.count && p[i] != quote {
        if p[i] == Scanner.lt { throw .malformedTag(offset: start) }
        i += 1
      }
      guard i < p.count else { throw .unexpectedEnd(offset: p.count) }
      i += 1
    }
    if stack.isEmpty && root != nil { throw .contentOutsideRoot(offset: start) }
    if stack.count >= XMLScanner.maxDepth { throw .tooDeep(offset: start) }
    if selfClosing {
      close(XMLElement(name: n))
    } else {
      stack.append(Open(name: n))
    }
  }

  mutating func endTag(start: Int) throws(XMLError) {
    i += 2
    let n = try name(start: start)
    skipSpace()
    guard i < p.count else { throw .unexpectedEnd(offset: p.count) }
    guard p[i] == Scanner.gt else { throw .malformedTag(offset: start) }
    i += 1
    guard let open = stack.popLast() else { throw .contentOutsideRoot(offset: start) }
    guard open.name == n else { throw .mismatchedTag(expected: open.name, found: n, offset: start) }
    close(XMLElement(name: open.name, text: String(decoding: open.text, as: UTF8.self), children: open.children))
  }

  mutating func close(_ element: XMLElement) {
    if stack.isEmpty {
      root = element
    } else {
      stack[stack.count - 1].children.append(element)
    }
  }

  mutating func characterData() throws(XMLError) {
    let start = i
    var hasEntity = false
    var allSpace = true
    while i < p.count && p[i] != Scanner.lt {
      if p[i] == Scanner.amp { hasEntity = true }
      if !Scanner.isSpace(p[i]) { allSpace = false }
      i += 1
    }
    if stack.isEmpty {
      if allSpace { return }
      throw .contentOutsideRoot(offset: start)
    }
    if !hasEntity {
      stack[stack.count - 1].text.append(contentsOf: p[start..<i])
      return
    }
    var out = [UInt8]()
    out.reserveCapacity(i - start)
    var j = start
    while j < i {
      let b = p[j]
      guard b == Scanner.amp else {
        out.append(b)
        j += 1
        continue
      }
      var end = j + 1
      while end < i && end - j <= 12 && p[end] != UInt8(ascii: ";") { end += 1 }
      guard end < i, p[end] == UInt8(ascii: ";") else { throw .invalidEntity(offset: j) }
      let ref = Array(p[(j + 1)..<end])
      switch ref {
      case Array("amp".utf8): out.append(Scanner.amp)
      case Array("lt".utf8): out.append(Scanner.lt)
      case Array("gt".utf8): out.append(Scanner.gt)
      case Array("quot".utf8): out.append(UInt8(ascii: "\""))
      case Array("apos".utf8): out.append(UInt8(ascii: "'"))
      default:
        guard ref.count >= 2, ref[0] == UInt8(ascii: "#") else { throw .invalidEntity(offset: j) }
        let hex = ref[1] == UInt8(ascii: "x") || ref[1] == UInt8(ascii: "X")
        let digits = ref[(hex ? 2 : 1)...]
        guard !digits.isEmpty, let v = UInt32(String(decoding: digits, as: UTF8.self), radix: hex ? 16 : 10),
          v != 0, let scalar = Unicode.Scalar(v)
        else { throw .invalidEntity(offset: j) }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
      }
      j = end + 1
    }
    stack[stack.count - 1].text.append(contentsOf: out)
  }
}
