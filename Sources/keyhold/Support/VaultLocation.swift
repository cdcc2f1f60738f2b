#if canImport(Glibc)
  import Glibc
#endif

/// Where the vault file is: `--vault PATH`, else `KEYHOLD_VAULT`, else `$XDG_DATA_HOME/keyhold/vault`, else
/// `~/.local/share/keyhold/vault` (keyhold-vault(5), FILES AND FOLDERS; XDG Base Directory: a relative XDG_DATA_HOME is ignored).
enum VaultLocation {
  /// Resolves the vault path from the option and the environment.
  static func resolve(option: String?, environment: [String: String] = currentEnvironment()) throws -> String {
    if let option, !option.isEmpty { return option }
    if let env = environment["KEYHOLD_VAULT"], !env.isEmpty { return env }
    if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/keyhold/vault" }
    guard let home = homeDirectory(environment) else {
      throw CLIError(
        "cannot find the vault: HOME is not set", hint: "give the vault's path with --vault PATH or KEYHOLD_VAULT")
    }
    return home + "/.local/share/keyhold/vault"
  }

  /// The process environment as a dictionary.
  static func currentEnvironment() -> [String: String] {
    var out: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
      let s = String(cString: entry)
      if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
      p += 1
    }
    return out
  }

  private static func homeDirectory(_ environment: [String: String]) -> String? {
    if let home = environment["HOME"], home.hasPrefix("/") { return home }
    guard let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir else { return nil }
    return String(cString: dir)
  }
}
