import SignatureLog

#if canImport(Glibc)
  import Glibc
#endif

/// Where the signature log is: `$XDG_STATE_HOME/keyhold/`, else `~/.local/state/keyhold/` (keyhold-log(1), FILES;
/// XDG Base Directory: a relative XDG_STATE_HOME is ignored).
enum SignatureLogLocation {
  /// The log's files.
  static func resolve(environment: [String: String] = VaultLocation.currentEnvironment()) throws -> SignatureLogFiles {
    if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
      return SignatureLogFiles(directory: state + "/keyhold")
    }
    var home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
    if home == nil, let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { home = String(cString: dir) }
    guard let home else {
      throw CLIError("cannot find the signature log: HOME is not set", hint: "set XDG_STATE_HOME or HOME")
    }
    return SignatureLogFiles(directory: home + "/.local/state/keyhold")
  }
}
