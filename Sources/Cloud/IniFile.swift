/// An INI file as the aws cli and euca2ools write them: `[section]` headers, `key = value` lines, `#`/`;` comment
/// lines, and the aws cli's nested form (`ec2 =` followed by indented `endpoint_url = ...` lines, stored here as
/// `ec2.endpoint_url`).
///
/// Whole-line comments (`#` or `;` as the first non-blank character) are skipped. What happens to a comment after
/// a value depends on the reader being imitated, see `InlineComments`.
public struct IniFile: Sendable, Equatable {
  /// Which text after a value counts as a comment.
  public enum InlineComments: Sendable, Equatable {
    /// None: the value runs to the end of the line. botocore reads `~/.aws/config` and `~/.aws/credentials` with
    /// Python 3's `RawConfigParser()`, whose `inline_comment_prefixes` is None, so `region = us-east-1 # x` is the
    /// region `us-east-1 # x`.
    case none
    /// A `;` preceded by a space or tab ends the value; `#` does not. This is Python 2's `ConfigParser`, which
    /// euca2ools 3 (through requestbuilder's `SafeConfigParser`) reads its ini files with.
    case semicolonAfterWhitespace
  }

  /// Settings by section name (as written between the brackets, trimmed), then by lowercased key.
  public var sections: [String: [String: String]]

  /// Parses the text; lines that fit no form are ignored, as the aws cli does.
  public init(parsing text: String) { self.init(parsing: text, inlineComments: .none) }

  /// Parses the text, stripping inline comments the way `inlineComments` says.
  public init(parsing text: String, inlineComments: InlineComments) {
    var sections: [String: [String: String]] = [:]
    var current: String?
    var parentKey: String?
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      let indented = raw.first == " " || raw.first == "\t"
      let line = String(raw).trimmingSpaces
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("[") && line.hasSuffix("]") {
        let name = String(line.dropFirst().dropLast()).trimmingSpaces
        current = String(name)
        parentKey = nil
        if sections[current!] == nil { sections[current!] = [:] }
        continue
      }
      guard let section = current, let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
      let key = String(line[line.startIndex..<eq]).trimmingSpaces.lowercased()
      var value = String(String(line[line.index(after: eq)...]).trimmingSpaces)
      if inlineComments == .semicolonAfterWhitespace { value = IniFile.strippingSemicolonComment(value) }
      if indented, let parent = parentKey {
        sections[section]![parent + "." + key] = value
        continue
      }
      parentKey = value.isEmpty ? key : nil
      sections[section]![key] = value
    }
    self.sections = sections
  }

  /// The value up to the first `;` that follows a space or tab, trimmed.
  static func strippingSemicolonComment(_ value: String) -> String {
    var previous: Character = "x"
    for i in value.indices {
      let c = value[i]
      if c == ";" && (previous == " " || previous == "\t") { return String(String(value[..<i]).trimmingSpaces) }
      previous = c
    }
    return value
  }

  /// Creates an empty file value.
  public init() { sections = [:] }

  /// The value of `key` in `section`.
  public func value(_ section: String, _ key: String) -> String? { sections[section]?[key.lowercased()] }

  /// Merges `other` over this one: its keys win.
  public mutating func merge(_ other: IniFile) {
    for (name, settings) in other.sections {
      sections[name, default: [:]].merge(settings) { _, new in new }
    }
  }
}
