import KeyholdCrypto

/// The SSH host keys an instance's console printed: cloud-init writes them between
/// `-----BEGIN SSH HOST KEY KEYS-----` and `-----END SSH HOST KEY KEYS-----`, one `type base64 [comment]` line each
/// (cloud-init's `ssh_authkey_fingerprints` / `write-ssh-key-fingerprints` module).
///
/// The console is whatever the instance wrote to its serial port, so this parser trusts nothing: lines may carry
/// CRs, a syslog-style `ec2:` prefix or other noise, and only lines naming a public key type OpenSSH knows, with a
/// base64 blob that decodes to that same type, are kept. Keys come back as `type base64` (no comment), each once,
/// in the order printed.
public enum ConsoleHostKeys {
  /// The key types `sshd` may print as host keys (ssh(1) `HostKeyAlgorithms`, without certificates).
  public static let knownTypes: Set<String> = [
    "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
  ]

  /// The most host keys one console may contribute; the rest are ignored.
  public static let maxKeys = 16
  /// Longer lines are not key lines (an RSA-16384 key line is under 3 KB).
  static let maxLine = 4096

  static let begin = "-----BEGIN SSH HOST KEY KEYS-----"
  static let end = "-----END SSH HOST KEY KEYS-----"

  /// The host keys of every complete block in `console`; none when there is no block.
  public static func parse(_ console: String) -> [String] {
    var out: [String] = []
    var inside = false
    // `isNewline` covers LF, CR and CR LF (one Character in Swift), so CR-terminated console lines split too.
    for raw in console.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
      let line = raw.unicodeScalars.count > maxLine ? Substring("") : raw
      if line.contains(begin) {
        inside = true
        continue
      }
      if line.contains(end) {
        inside = false
        continue
      }
      guard inside, out.count < maxKeys, let key = keyField(line), !out.contains(key) else { continue }
      out.append(key)
    }
    return out
  }

  /// `type base64` when some word of `line` is a known key type followed by a blob of that type.
  static func keyField(_ line: Substring) -> String? {
    let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
    for (i, w) in words.enumerated() where i + 1 < words.count {
      let type = String(w)
      guard knownTypes.contains(type) else { continue }
      let b64 = String(words[i + 1])
      guard let blob = Base64.decode(Array(b64.utf8)), blobType(blob) == type else { return nil }
      return type + " " + Base64.encode(blob)
    }
    return nil
  }

  /// The type string at the start of an SSH public key blob (RFC 4253 §6.6: a `string` naming the format).
  static func blobType(_ blob: [UInt8]) -> String? {
    guard blob.count > 4 else { return nil }
    let n = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
    guard n > 0, n <= 64, blob.count > 4 + n else { return nil }
    return String(validating: blob[4..<(4 + n)], as: UTF8.self)
  }
}
