import Foundation
import Testing

/// Help text and man pages are checked against each other so they cannot drift.
@Suite struct ManPageTests {
  /// Subcommand names listed in `keyhold --help`.
  static func subcommands() throws -> [String] {
    let help = try CLIHarness.run(["--help"]).stdout
    guard let start = help.range(of: "SUBCOMMANDS:") else { return [] }
    var names: [String] = []
    for line in help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
      if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
      // A subcommand line has exactly two leading spaces; wrapped abstracts are indented further.
      guard line.hasPrefix("  "), let c = line.dropFirst(2).first, c.isLetter else { continue }
      names.append(String(line.dropFirst(2).prefix(while: { $0 != " " })))
    }
    return names.filter { $0 != "help" }
  }

  /// Long and short option names in a help text's OPTIONS section.
  static func options(inHelp help: String) -> Set<String> {
    var found = Set<String>()
    for line in help.split(separator: "\n") where line.hasPrefix("  -") {
      let head = line.split(separator: " ", omittingEmptySubsequences: true)
      for token in head.prefix(4) {
        let t = token.trimmingCharacters(in: CharacterSet(charactersIn: ",<>"))
        if t.hasPrefix("-"), t != "-h", t != "--help", t != "--version" { found.insert(t) }
      }
    }
    return found
  }

  static func manText(_ name: String) throws -> String? {
    let url = CLIHarness.repoRoot.appendingPathComponent("man/\(name)")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    return text.replacingOccurrences(of: "\\-", with: "-").replacingOccurrences(of: "\\(hy", with: "-")
  }

  @Test func everySubcommandHasAManPageNamingEachOfItsOptions() throws {
    for name in try Self.subcommands() {
      let page = try #require(try Self.manText("keyhold-\(name).1"), "man/keyhold-\(name).1 is missing")
      // `keyhold help NAME` rather than `NAME --help`: the agent answers -h/--help as ssh-agent does (usage on
      // standard error, status 1), so only `help` shows its full option list.
      let help = try CLIHarness.run(["help", name]).stdout
      if name == "agent" { #expect(Self.options(inHelp: help).contains("-t"), "keyhold help agent lists no -t") }
      for option in Self.options(inHelp: help) {
        // mdoc writes flags as `Fl name` (dash implied); man(7) writes them literally.
        let bare = String(option.drop(while: { $0 == "-" }))
        let dashes = option.prefix(while: { $0 == "-" }).count
        let mdoc = dashes == 2 ? "Fl -\(bare)" : "Fl \(bare)"
        #expect(page.contains(option) || page.contains(mdoc), "man/keyhold-\(name).1 does not document \(option)")
      }
    }
  }

  @Test func overviewPageListsEverySubcommand() throws {
    let page = try #require(try Self.manText("keyhold.1"))
    for name in try Self.subcommands() {
      #expect(page.contains("keyhold-\(name)"), "man/keyhold.1 does not mention keyhold-\(name)(1)")
    }
  }

  @Test func everyCommandManPageBelongsToASubcommand() throws {
    let names = Set(try Self.subcommands())
    let files = try FileManager.default.contentsOfDirectory(
      atPath: CLIHarness.repoRoot.appendingPathComponent("man").path)
    for file in files where file.hasPrefix("keyhold-") && file.hasSuffix(".1") {
      let name = String(file.dropFirst("keyhold-".count).dropLast(2))
      #expect(names.contains(name), "man/\(file) documents no subcommand of keyhold")
    }
  }
}
