#if canImport(Glibc)
  import Glibc
#endif

/// Finds the vault the agent serves: `--vault`, then `KEYHOLD_VAULT`, then `$XDG_DATA_HOME/keyhold/vault`
/// (`~/.local/share/keyhold/vault`), as DESIGN §4. A default path that does not exist means "no vault".
enum AgentVaultLocation {
  static func resolve(explicit: String?) -> String? {
    if let explicit { return explicit }
    if let env = getenv("KEYHOLD_VAULT").map({ String(cString: $0) }), !env.isEmpty { return env }
    var base: String
    if let xdg = getenv("XDG_DATA_HOME").map({ String(cString: $0) }), !xdg.isEmpty {
      base = xdg
    } else if let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty {
      base = home + "/.local/share"
    } else {
      return nil
    }
    let path = base + "/keyhold/vault"
    return access(path, F_OK) == 0 ? path : nil
  }
}
