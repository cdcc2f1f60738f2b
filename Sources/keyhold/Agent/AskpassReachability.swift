#if canImport(Glibc)
  import Glibc
#endif

/// Whether the agent can show a passphrase prompt at all, decided the way ssh(1) decides to use `SSH_ASKPASS`
/// without a terminal: `SSH_ASKPASS_REQUIRE=never` never; `force` whenever the program runs; otherwise only with
/// `DISPLAY` or `WAYLAND_DISPLAY` set. The agent has no terminal, so without askpass no prompt can be shown.
enum AskpassReachability {
  /// Why no prompt can be shown, one lowercase line; nil when askpass can be run.
  static func unavailableReason(
    program: String?, environment: (String) -> String? = { getenv($0).map { String(cString: $0) } },
    isExecutable: (String) -> Bool = AskpassReachability.isExecutable
  ) -> String? {
    // ssh(1) compares the value without regard to case.
    let require = (environment("SSH_ASKPASS_REQUIRE") ?? "").lowercased()
    if require == "never" { return "SSH_ASKPASS_REQUIRE=never" }
    guard let program else { return "no askpass program (SSH_ASKPASS unset and no /usr/bin/ssh-askpass)" }
    guard isExecutable(program) else { return "the askpass program \(program) is not an executable file" }
    if require == "force" { return nil }
    let display = !(environment("DISPLAY") ?? "").isEmpty || !(environment("WAYLAND_DISPLAY") ?? "").isEmpty
    return display ? nil : "neither DISPLAY nor WAYLAND_DISPLAY is set (SSH_ASKPASS_REQUIRE=force overrides)"
  }

  /// True when `program` names an executable regular file: a path as given, a bare name looked up in PATH (as
  /// execlp does).
  static func isExecutable(_ program: String) -> Bool {
    func runnable(_ path: String) -> Bool {
      var st = stat()
      return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }
    if program.contains("/") { return runnable(program) }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    return path.split(separator: ":", omittingEmptySubsequences: false).contains {
      runnable(($0.isEmpty ? "." : String($0)) + "/" + program)
    }
  }
}
