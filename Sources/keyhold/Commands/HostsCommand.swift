import AgentServer
import ArgumentParser
import Foundation
import HostBook
import Vault

/// `keyhold hosts`: which keys open which servers, as the agent learned from logins and the last sync saw in the
/// cloud (keyhold-hosts(1)); `keyhold hosts forget` removes what should no longer be offered first.
struct HostsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hosts", abstract: "List or forget which keys open which SSH servers (no passphrase needed).",
    subcommands: [HostsListCommand.self, HostsForgetCommand.self], defaultSubcommand: HostsListCommand.self)
}

/// `keyhold hosts [list]`: one row per server host key.
struct HostsListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the known hosts: host key, names, key, user, last use, source.")

  @OptionGroup var vault: VaultOptions

  @Flag(help: "Print one JSON object per host key and line (keyhold(1), JSON OUTPUT).")
  var json = false

  func run() throws {
    try runReportingErrors {
      let path = try vault.path()
      let book = HostBook(vaultPath: path)
      let hosts = try HostsCommand.read {
        HostBook.known(
          learned: try book.learned(), instances: try book.instances(), keyNames: HostsCommand.keyNames(path))
      }
      if json {
        try writeStdout(hosts.map { (try? HostsCommand.jsonLine(HostJSON($0))) ?? "" }.joined())
      } else if !hosts.isEmpty {
        try writeStdout(HostsCommand.table(hosts))
      }
    }
  }
}

/// `keyhold hosts forget SELECTOR... | --key NAME|FP | --all`.
struct HostsForgetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forget",
    abstract: "Forget learned hosts by host key, instance id, Name tag or address, by key, or all of them.")

  @OptionGroup var vault: VaultOptions

  @Argument(help: "A host key fingerprint, or an instance's id, Name tag, DNS name or address.")
  var selectors: [String] = []

  @Option(
    name: .long, help: ArgumentHelp("Forget every host of this key (vault name or fingerprint).", valueName: "key"),
    completion: KeyNameCompletion.kind)
  var key: [String] = []

  @Flag(help: "Forget every learned host, and drop every console host key from the instances file.")
  var all = false

  func validate() throws {
    if all && !(selectors.isEmpty && key.isEmpty) {
      throw ValidationError("--all cannot be combined with selectors or --key")
    }
    if !all && selectors.isEmpty && key.isEmpty {
      throw ValidationError("name what to forget: a host key, an instance, --key KEY or --all")
    }
  }

  func run() throws {
    try runReportingErrors {
      let path = try vault.path()
      let book = HostBook(vaultPath: path)
      let (learned, instances) = try HostsCommand.read { (try book.learned(), try book.instances()) }
      let names = HostsCommand.keyNames(path)
      // Each selector must select something, or nothing is changed: a typo never silently forgets less.
      var selection = HostSelection(all: all)
      for s in selectors {
        let one = HostSelection(hostKeys: HostBook.hostKeys(matching: s, learned: learned, instances: instances))
        guard !(try HostsCommand.read { try book.preview(one) }).isEmpty else {
          throw CLIError(
            "no known host matches '\(s)'", hint: "`keyhold hosts` lists host keys and the instance names they map to")
        }
        selection.hostKeys.formUnion(one.hostKeys)
      }
      for k in key {
        var fingerprints = Set(names.filter { $0.value == k }.keys)
        if k.hasPrefix("SHA256:") { fingerprints.insert(k) }
        fingerprints.formUnion(learned.filter { $0.keyName == k }.map(\.key))
        let one = HostSelection(keys: fingerprints, keyNames: [k])
        guard !(try HostsCommand.read { try book.preview(one) }).isEmpty else {
          throw CLIError(
            "no known host is opened by key '\(k)'", hint: "`keyhold hosts` lists the keys of every known host")
        }
        selection.keys.formUnion(one.keys)
        selection.keyNames.formUnion(one.keyNames)
      }
      let outcome = try HostsCommand.read { try book.forget(selection) }
      guard !outcome.isEmpty else {
        if all { return try writeStdout("no hosts known; nothing to forget\n") }
        throw CLIError("nothing left to forget: another process removed it meanwhile")
      }
      var lines: [String] = []
      if outcome.learnedRemoved > 0 {
        lines.append("forgot \(HostsCommand.count(outcome.learnedRemoved, "learned record"))")
      }
      for d in outcome.droppedHostKeys {
        lines.append(
          "dropped \(HostsCommand.count(d.count, "console host key")) of \(d.instance) from \(book.instancesPath)"
            + " (cloud-derived: the next `keyhold sync` reads them again)")
      }
      try writeStdout(lines.map { $0 + "\n" }.joined())
    }
  }
}

extension HostsCommand {
  /// Runs a host book read or write, turning its error into the one-line CLI error.
  static func read<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as HostBookError {
      throw CLIError("\(e)", hint: "see keyhold-hosts(5) for the files' format")
    }
  }

  /// Key fingerprint → vault name, from the public half (no passphrase); none when there is no readable vault.
  static func keyNames(_ vaultPath: String) -> [String: String] {
    guard let view = try? VaultStore(path: vaultPath).readPublic() else { return [:] }
    var out: [String: String] = [:]
    for e in view.entries { out[VaultPresentation.sha256(e)] = e.name }
    return out
  }

  static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

  /// `2026-12-02 04:40 UTC` from an RFC 3339 UTC time as the files hold it; anything else as it is.
  static func shortTime(_ rfc3339: String) -> String {
    let chars = Array(rfc3339)
    guard chars.count >= 17, chars[10] == "T", rfc3339.hasSuffix("Z") else { return rfc3339 }
    return String(chars[0..<10]) + " " + String(chars[11..<16]) + " UTC"
  }

  /// The table: HOST KEY, NAMES, KEY, USER, LAST USE, SOURCE; one row per host key. Name tags and user names are
  /// chosen by others: cells are escaped as the agent's log is (vis(3) style), so none can move the cursor or
  /// start a line of its own.
  static func table(_ hosts: [KnownHost]) -> String {
    var rows = [["HOST KEY", "NAMES", "KEY", "USER", "LAST USE", "SOURCE"]]
    for h in hosts {
      let names = h.names.isEmpty ? "-" : h.names.joined(separator: ",")
      let keys = h.keys.isEmpty ? "-" : h.keys.map { $0.name ?? $0.fingerprint }.joined(separator: ",")
      let users = Array(Set(h.keys.flatMap(\.users))).sorted()
      let last = h.keys.compactMap(\.lastUse).max()
      rows.append(
        [
          h.hostKey, names, keys, users.isEmpty ? "-" : users.joined(separator: ","), last.map(shortTime) ?? "-",
          h.source,
        ].map(AgentLogEscape.escape))
    }
    return TextTable.render(rows)
  }

  /// One JSON object on one line, keys sorted (keyhold(1), JSON OUTPUT).
  static func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }
}

/// `keyhold hosts --json`: one host key (keyhold-hosts(1) lists the fields).
struct HostJSON: Encodable {
  let host: KnownHost

  init(_ host: KnownHost) { self.host = host }

  enum CodingKeys: String, CodingKey {
    case names, instances, keys, users, source
    case hostKey = "host_key"
    case hostKeyType = "host_key_type"
    case lastUse = "last_use"
  }

  enum InstanceKeys: String, CodingKey {
    case id, name, endpoint, account, region, state
    case publicIP = "public_ip"
    case privateIP = "private_ip"
    case publicDNS = "public_dns"
    case privateDNS = "private_dns"
    case keyName = "key_name"
  }

  enum KeyKeys: String, CodingKey {
    case fingerprint, name, users, uses, source
    case lastUse = "last_use"
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(host.hostKey, forKey: .hostKey)
    try c.encode(host.hostKeyType, forKey: .hostKeyType)
    try c.encode(host.names, forKey: .names)
    var instances = c.nestedUnkeyedContainer(forKey: .instances)
    for i in host.instances {
      var o = instances.nestedContainer(keyedBy: InstanceKeys.self)
      try o.encode(i.id, forKey: .id)
      try o.encode(present(i.name), forKey: .name)
      try o.encode(i.endpoint, forKey: .endpoint)
      try o.encode(present(i.account), forKey: .account)
      try o.encode(i.region, forKey: .region)
      try o.encode(i.state, forKey: .state)
      try o.encode(present(i.publicIP), forKey: .publicIP)
      try o.encode(present(i.privateIP), forKey: .privateIP)
      try o.encode(present(i.publicDNS), forKey: .publicDNS)
      try o.encode(present(i.privateDNS), forKey: .privateDNS)
      try o.encode(present(i.keyName), forKey: .keyName)
    }
    var keys = c.nestedUnkeyedContainer(forKey: .keys)
    for k in host.keys {
      var o = keys.nestedContainer(keyedBy: KeyKeys.self)
      try o.encode(k.fingerprint, forKey: .fingerprint)
      try o.encode(present(k.name), forKey: .name)
      try o.encode(k.users, forKey: .users)
      try o.encode(k.lastUse, forKey: .lastUse)
      try o.encode(k.uses, forKey: .uses)
      try o.encode(k.learned ? (k.cloud ? "both" : "learned") : "cloud", forKey: .source)
    }
    try c.encode(Array(Set(host.keys.flatMap(\.users))).sorted(), forKey: .users)
    try c.encode(host.keys.compactMap(\.lastUse).max(), forKey: .lastUse)
    try c.encode(host.source, forKey: .source)
  }

  private func present(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
}
