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
    // Most specific first: of the sections that equal the name with some parts replaced by `*`, the one with the
    // fewest replaced parts, ties going to the one replacing earlier parts; the lone `*` is left for last because
    // it is also the default for everything. Found by checking each existing section rather than by listing every
    // combination of parts, which is exponential in the number of `:` in a name the user or a file chose.
    var best: (name: String, wildcards: [Bool])?
    for (name, settings) in sections where settings[option] != nil {
      let parts = name.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == bits.count else { continue }
      var wildcards: [Bool] = []
      wildcards.reserveCapacity(bits.count)
      var matches = true
      for (part, bit) in zip(parts, bits) {
        if part == bit {
          wildcards.append(false)
        } else if part == "*" {
          wildcards.append(true)
        } else {
          matches = false
          break
        }
      }
      guard matches else { continue }
      if bits.count == 1 && wildcards == [true] { continue }
      if let b = best, !EucaConfig.isMoreSpecific(wildcards, than: b.wildcards) { continue }
      best = (name, wildcards)
    }
    if let candidate = best, let value = sections[candidate.name]?[option] {
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

  /// Whether a section replacing the parts marked in `a` with `*` is looked at before one replacing those in `b`:
  /// fewer replaced parts first, then the one whose last differing part is kept (the order of counting up a bit
  /// mask whose bit `i` stands for part `i`).
  static func isMoreSpecific(_ a: [Bool], than b: [Bool]) -> Bool {
    let ca = a.count(where: { $0 })
    let cb = b.count(where: { $0 })
    if ca != cb { return ca < cb }
    for i in a.indices.reversed() where a[i] != b[i] { return !a[i] }
    return false
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
