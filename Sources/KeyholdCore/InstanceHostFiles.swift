import HostBook
import KeyholdCrypto

/// The two files `keyhold ssh-config` and `keyhold known-hosts` print from `VAULT.instances`: an ssh_config
/// fragment for `Include` (ssh_config(5)) and known_hosts lines (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT).
///
/// Every name comes from the cloud, and the Name tag from whoever may tag instances: a name is written only when
/// it is safe as an ssh_config pattern and a known_hosts host name, that is letters, digits, `.`, `-`, `_` and `:`
/// (no white space, no wildcard `*` / `?`, no negation `!`, no list separator `,`, no quote, no `%` token). Other
/// names are left out, and the fragment says so in a comment that does not repeat them.
public enum InstanceHostFiles {
  /// Whether `name` may be written as an ssh_config `Host` pattern, a `HostName` or a known_hosts name.
  public static func isSafeName(_ name: String) -> Bool {
    guard !name.isEmpty, name.utf8.count <= 253, !name.hasPrefix("-") else { return false }
    return name.utf8.allSatisfy { b in
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2e || b == 0x2d
        || b == 0x5f || b == 0x3a
    }
  }

  /// ssh_config's quoting for a file name: `%` is a token (TOKENS in ssh_config(5)) so it is doubled; a name with a
  /// double quote cannot be written at all.
  static func configWord(_ path: String) -> String? {
    guard !path.contains("\""), !path.contains(where: \.isNewline) else { return nil }
    return "\"" + path.replacingOccurrences(of: "%", with: "%%") + "\""
  }

  /// The ssh_config fragment: one `Host` block per running instance, aliased by its id, Name tag and public DNS
  /// name, with `HostName` (public address, else private), and `IdentityFile` plus `IdentitiesOnly yes` when the
  /// instance's key pair maps to a vault key with a file in `files` (vault name → path).
  public static func sshConfig(_ instances: [CloudInstance], files: [String: String]) -> String {
    var out = "# ssh_config fragment written by keyhold ssh-config from the instances the last keyhold sync saw.\n"
    out += "# Include it from ~/.ssh/config (Include FILE); keys come from the agent (IdentitiesOnly yes).\n"
    var used = Set<String>()
    let running = instances.filter { $0.state == "running" }.sorted {
      ($0.region, $0.name ?? "", $0.id) < ($1.region, $1.name ?? "", $1.id)
    }
    for i in running {
      guard isSafeName(i.id) else {
        out += "\n# an instance with an id that is not safe as an ssh_config pattern was left out\n"
        continue
      }
      var notes: [String] = []
      var aliases: [String] = []
      for (what, name) in [("id", i.id), ("Name tag", i.name), ("public DNS name", i.publicDNS)] {
        guard let name, !name.isEmpty else { continue }
        guard isSafeName(name) else {
          notes.append("its \(what) is not safe as an ssh_config pattern and was left out")
          continue
        }
        guard !aliases.contains(name) else { continue }
        guard used.insert(name).inserted else {
          notes.append("its \(what) \(name) names an instance above too and was left out")
          continue
        }
        aliases.append(name)
      }
      out += "\n# \(i.id) in \(i.region)" + (i.keyName.map { isSafeName($0) ? ", key pair \($0)" : "" } ?? "") + "\n"
      for n in notes { out += "# \(n)\n" }
      guard !aliases.isEmpty else {
        out += "# no alias left for this instance\n"
        continue
      }
      guard let address = [i.publicIP, i.privateIP].compactMap({ $0 }).first(where: isSafeName) else {
        out += "# no address is known for this instance\n"
        continue
      }
      out += "Host " + aliases.joined(separator: " ") + "\n"
      out += "  HostName \(address)\n"
      if let key = i.vaultKey, let path = files[key], let word = configWord(path) {
        out += "  IdentityFile \(word)\n"
        out += "  IdentitiesOnly yes\n"
      } else {
        out += "  # its key pair is not bound to a vault key: no IdentityFile\n"
      }
    }
    return out
  }

  /// known_hosts lines for every instance whose console printed host keys, under its public DNS name, public
  /// address and private address. With `hashed`, each name is written as `ssh-keygen -H` does (sshd(8),
  /// SSH_KNOWN_HOSTS FILE FORMAT): `|1|` base64 of a random 20-byte salt, `|`, base64 of HMAC-SHA1(salt, name), one
  /// line per name.
  public static func knownHosts(
    _ instances: [CloudInstance], hashed: Bool, salt: () -> [UInt8] = { Sodium.randomBytes(20) }
  ) -> String {
    var out = ""
    let sorted = instances.sorted { ($0.region, $0.id) < ($1.region, $1.id) }
    for i in sorted where !i.hostKeys.isEmpty {
      var names: [String] = []
      for n in [i.publicDNS, i.publicIP, i.privateIP] {
        if let n, isSafeName(n), !names.contains(n) { names.append(n) }
      }
      guard !names.isEmpty else { continue }
      for key in i.hostKeys {
        let fields = key.split(separator: " ")
        guard fields.count >= 2, HostBook.fingerprint(ofKeyLine: key) != nil else { continue }
        let keyField = fields[0] + " " + fields[1]
        if hashed {
          for n in names { out += hashedName(n, salt: salt()) + " " + keyField + "\n" }
        } else {
          out += names.joined(separator: ",") + " " + keyField + "\n"
        }
      }
    }
    return out
  }

  /// `|1|SALT|HASH` for one host name.
  public static func hashedName(_ name: String, salt: [UInt8]) -> String {
    "|1|" + Base64.encode(salt) + "|" + Base64.encode(HMAC.mac(.sha1, key: salt, data: Array(name.utf8)))
  }
}
