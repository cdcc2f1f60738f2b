#if canImport(Glibc)
  import Glibc
#endif

/// Which PKCS #11 provider libraries the agent may load: ssh-agent(1) `-P allowed_providers` semantics.
///
/// A comma-separated list of fnmatch(3) patterns matched against the provider's canonical path (realpath(3), so a
/// symlink in an allowed folder cannot point elsewhere). As in ssh_config(5) PATTERNS, a pattern prefixed with `!`
/// refuses whatever it matches even when another pattern allows it. `*` matches `/` too (no FNM_PATHNAME), so
/// `/usr/lib*/*` allows `/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so`.
public struct PKCS11AllowList: Sendable, Hashable {
  /// ssh-agent's default: libraries under the system and local library folders.
  public static let defaultPatterns = "/usr/lib*/*,/usr/local/lib*/*"
  /// The default allow-list.
  public static let `default` = PKCS11AllowList(patterns: defaultPatterns)

  /// The patterns, in order, without their separators.
  public let patterns: [String]

  /// Parses a comma-separated pattern list (empty items are ignored).
  public init(patterns: String) {
    self.patterns = patterns.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
  }

  /// True when `path` (already canonical) matches a pattern and no negated one.
  public func permits(path: String) -> Bool {
    var allowed = false
    for pattern in patterns {
      if pattern.hasPrefix("!") {
        if fnmatch(String(pattern.dropFirst()), path, 0) == 0 { return false }
      } else if fnmatch(pattern, path, 0) == 0 {
        allowed = true
      }
    }
    return allowed
  }

  /// The canonical form of a provider path, as the allow-list is matched against it.
  public static func canonicalPath(_ path: String) throws(PKCS11Error) -> String {
    guard let resolved = realpath(path, nil) else {
      throw .providerNotFound(path: path, reason: String(cString: strerror(errno)).lowercased())
    }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
