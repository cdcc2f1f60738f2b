/// An INI file as the aws cli and euca2ools write them: `[section]` headers, `key = value` lines, `#`/`;` comment
/// lines, and the aws cli's nested form (`ec2 =` followed by indented `endpoint_url = ...` lines, stored here as
/// `ec2.endpoint_url`).
public struct IniFile: Sendable, Equatable {
  /// Settings by section name (as written between the brackets, trimmed), then by lowercased key.
  public var sections: [String: [String: String]]

  /// Parses the text; lines that fit no form are ignored, as the aws cli does.
  public init(parsing text: String) {
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
      let value = String(String(line[line.index(after: eq)...]).trimmingSpaces)
      if indented, let parent = parentKey {
        sections[section]![parent + "." + key] = value
        continue
      }
      parentKey = value.isEmpty ? key : nil
      sections[section]![key] = value
    }
    self.sections = sections
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
