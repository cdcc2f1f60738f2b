import ArgumentParser
import KeyholdCrypto
import KeyholdSystem
import SSHKeys
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// The options every vault command shares: where the vault is and where passphrases come from.
struct VaultOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "The vault file (default: $KEYHOLD_VAULT, else $XDG_DATA_HOME/keyhold/vault).", valueName: "path"),
    completion: .file())
  var vault: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Read passphrases from this file descriptor, one per line, instead of the terminal.", valueName: "fd"),
    completion: .none)
  var passphraseFd: Int32?

  /// The resolved vault path.
  func path() throws -> String { try VaultLocation.resolve(option: vault) }

  /// The store for the resolved path; `KEYHOLD_LOCK_TIMEOUT` (seconds) bounds the wait for another writer.
  func store() throws -> VaultStore {
    var store = VaultStore(path: try path())
    if let text = VaultLocation.currentEnvironment()["KEYHOLD_LOCK_TIMEOUT"], let seconds = Double(text), seconds >= 0 {
      store.lockTimeout = seconds
    }
    return store
  }

  /// Where vault passphrases come from.
  var passphrases: PassphraseSource { PassphraseSource(fd: passphraseFd) }

  /// Reads the passphrase of an existing vault. An empty one is refused here: no vault has one (`init` and `passwd`
  /// refuse it), so "incorrect vault passphrase" after a stray Enter would mislead.
  func readPassphrase(prompt: String = "Vault passphrase: ") throws -> SecureBytes {
    let passphrase = try passphrases.read(prompt: prompt)
    guard passphrase.count > 0 else {
      throw CLIError(
        "empty passphrase", hint: "type the vault passphrase given to `keyhold init` (or the last `keyhold passwd`)")
    }
    return passphrase
  }
}

/// Shows that the vault key is being derived when that takes a noticeable time.
///
/// Argon2id with the moderate or sensitive limits takes seconds; a silent terminal in that time looks hung. The line
/// goes to standard error only when it is a terminal, and is erased once the key is derived, so scripts and logs
/// never see it.
enum KDFProgress {
  /// Argon2id's cost grows with passes times memory; at or above this many bytes-passes it takes over a second on
  /// a typical machine (the interactive limits, 2 × 64 MiB, take about 0.1 s).
  static let noticeableCost: UInt64 = 3 * (256 << 20)

  /// True when deriving a key with these limits is slow enough to announce.
  static func isNoticeable(_ kdf: Sodium.KDFParameters) -> Bool {
    kdf.opsLimit.multipliedReportingOverflow(by: kdf.memLimit).overflow
      || kdf.opsLimit * kdf.memLimit >= noticeableCost
  }

  /// The progress line, e.g. `keyhold: deriving the vault key (Argon2id, 1 GiB)…`.
  static func message(_ kdf: Sodium.KDFParameters) -> String {
    let mib = kdf.memLimit >> 20
    let size = mib >= 1024 && mib % 1024 == 0 ? "\(mib >> 10) GiB" : "\(mib) MiB"
    return "keyhold: deriving the vault key (Argon2id, \(size))…"
  }

  /// Runs `body`, which turns a passphrase into a key with the limits `kdf`, with the progress line shown meanwhile.
  static func run<T>(_ kdf: Sodium.KDFParameters, _ body: () throws -> T) rethrows -> T {
    guard isNoticeable(kdf), isatty(2) == 1 else { return try body() }
    printErrorRaw(message(kdf))
    // Carriage return, then erase the line: the cursor ends where the line began.
    defer { printErrorRaw("\r\u{1B}[K") }
    return try body()
  }
}

/// Writes text to standard error without adding a newline.
private func printErrorRaw(_ text: String) {
  try? Descriptor.writeAll(2, Array(text.utf8), label: "standard error")
}

/// Shell completion of key names: the vault's public half needs no passphrase, so completing is instant and silent.
enum KeyNameCompletion {
  /// The completion for an argument or option that takes a key name.
  static let kind = CompletionKind.custom { words, _, prefix in names(words: words, prefix: prefix) }

  /// The completion for an argument that takes a retired key's name (`restore`, `purge`).
  static let retired = CompletionKind.custom { words, _, prefix in
    names(words: words, prefix: prefix, retired: true)
  }

  /// The names in the vault the command line points at (`--vault PATH`, else `KEYHOLD_VAULT`, else the default),
  /// starting with `prefix`; none when there is no readable vault.
  static func names(words: [String], prefix: String, retired: Bool = false) -> [String] {
    var option: String?
    for (i, w) in words.enumerated() {
      if w == "--vault", i + 1 < words.count { option = words[i + 1] }
      if w.hasPrefix("--vault=") { option = String(w.dropFirst("--vault=".count)) }
    }
    guard let path = try? VaultLocation.resolve(option: option),
      let view = try? VaultStore(path: path).readPublic()
    else { return [] }
    let all = retired ? view.retired.map(\.entry.name) : view.entries.map(\.name)
    return Array(Set(all)).filter { $0.hasPrefix(prefix) }.sorted()
  }
}
