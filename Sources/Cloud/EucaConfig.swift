/// The euca2ools 3 configuration (`[global]`, `[region NAME]`, `[user NAME]` sections) with euca2ools' lookup rules.
///
/// euca2ools.ini(5): named sections may contain `*` wildcards and act as fallbacks for more specific names; names
/// may be grouped with `:` (`[region aws:us-east-1]`), a bare name finds its one prefixed section (`us-east-1` →
/// `aws:us-east-1`), a value `use OTHER` reads the same option from section OTHER, and `[region *]` holds defaults
/// for every region.
struct EucaConfig: Sendable {
  /// `[global]` settings.
  var globals: [String: String] = [:]
  /// `[region NAME]` settings by NAME.
  var regions: [String: [String: String]] = [:]
  /// `[user NAME]` settings by NAME.
  var users: [String: [String: String]] = [:]

  init(_ ini: IniFile) {
    for (name, settings) in ini.sections {
      let words = name.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if name == "global" {
        globals = settings
      } else if words.count >= 2, words[0] == "region" {
        regions[String(words[1])] = settings
      } else if words.count >= 2, words[0] == "user" {
        users[String(words[1])] = settings
      }
    }
  }

  /// Whether any region section exists.
  var hasRegions: Bool { !regions.isEmpty }

  /// The names of region sections without wildcards.
  var concreteRegionNames: [String] { regions.keys.filter { !$0.contains("*") }.sorted() }

  /// Looks `option` up for `section`: the value and the section it was found in.
  static func lookup(
    _ sections: [String: [String: String]], _ section: String, _ option: String, seen: [String] = []
  ) -> (value: String, section: String)? {
    let bits = section.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    // Most specific first: every combination of keeping each part or replacing it with `*`, with the lone `*`
    // left for last because it is also the default for everything.
    var candidates: [(name: String, wildcards: Int)] = []
    for mask in 0..<(1 << bits.count) {
      var parts: [String] = []
      var wildcards = 0
      for (i, bit) in bits.enumerated() {
        if mask & (1 << i) != 0 {
          parts.append("*")
          wildcards += 1
        } else {
          parts.append(bit)
        }
      }
      if bits.count == 1 && wildcards == 1 { continue }
      candidates.append((parts.joined(separator: ":"), wildcards))
    }
    candidates.sort { $0.wildcards < $1.wildcards }
    for candidate in candidates {
      guard let value = sections[candidate.name]?[option] else { continue }
      if value.hasPrefix("use ") {
        let words = value.split(separator: " ").map(String.init)
        if words.count >= 2, !seen.contains(section) {
          return lookup(sections, words[1], words.count > 2 ? words[2] : option, seen: seen + [section])
        }
      }
      return (value, candidate.name)
    }
    // A bare name finds the one shortest section it ends with (`us-east-1` → `aws:us-east-1`).
    let longer = sections.keys.filter { name in
      let other = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      return other.count > bits.count && Array(other.suffix(bits.count)) == bits
    }
    if let shortest = longer.map({ $0.split(separator: ":").count }).min() {
      let matches = longer.filter { $0.split(separator: ":").count == shortest }
      if matches.count == 1, !seen.contains(section) {
        return lookup(sections, matches[0], option, seen: seen + [section])
      }
    }
    if let value = sections["*"]?[option] { return (value, "*") }
    return nil
  }

  /// A region option.
  func region(_ name: String, _ option: String) -> (value: String, section: String)? {
    EucaConfig.lookup(regions, name, option)
  }

  /// A user option.
  func user(_ name: String, _ option: String) -> String? { EucaConfig.lookup(users, name, option)?.value }

  /// Parses euca2ools' `[USER@][REGION]` form.
  static func parseRegion(_ s: String) -> (user: String?, region: String?) {
    if s.isEmpty { return (nil, nil) }
    if s.hasSuffix("@") { return (String(s.dropLast()), nil) }
    if let at = s.firstIndex(of: "@") {
      let user = String(s[s.startIndex..<at])
      let region = String(s[s.index(after: at)...])
      return (user.isEmpty ? nil : user, region.isEmpty ? nil : region)
    }
    return (nil, s)
  }
}
