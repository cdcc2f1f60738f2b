import Foundation
import KeyholdCrypto
import KeyholdSystem
import SSHKeys
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// The public key files keyhold keeps for ssh_config's `IdentityFile` (keyhold-ssh-config(1), FILES): one
/// `NAME.pub` per vault key in the folder `VAULT.public` beside the vault, mode 0600 in a 0700 folder. With
/// `IdentitiesOnly yes`, ssh(1) offers exactly the agent's key whose public half the file holds, and needs no
/// private key file (ssh_config(5), IdentityFile).
///
/// A name that is not safe as a file name and an ssh_config word (anything but letters, digits, `.`, `_`, `-`, or
/// a leading `.`) is stored as `key-HEX.pub`, HEX being the start of the key's SHA-256.
public struct PublicKeyFiles: Sendable {
  /// The vault the files belong to.
  public var vaultPath: String

  /// Creates the file set of a vault.
  public init(vaultPath: String) { self.vaultPath = vaultPath }

  /// The folder the files are in.
  public var directory: String { vaultPath + ".public" }

  /// The file of a vault key.
  public func path(for entry: VaultEntry) -> String { directory + "/" + Self.fileName(for: entry) }

  /// `NAME.pub`, or `key-HEX.pub` when the name is not a safe file name.
  public static func fileName(for entry: VaultEntry) -> String {
    let safe = entry.name.utf8.allSatisfy { b in
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2e || b == 0x5f
        || b == 0x2d
    }
    if safe && !entry.name.hasPrefix(".") && !entry.name.hasPrefix("key-") { return entry.name + ".pub" }
    return "key-" + Hex.encode(Digest.sha256(entry.publicKeyBlob).prefix(8)) + ".pub"
  }

  /// The `.pub` line of a vault key (its comment is the vault name, as `keyhold export --public` writes it).
  public static func line(for entry: VaultEntry) -> String? {
    guard let key = try? PublicKey(blob: entry.publicKeyBlob) else { return nil }
    return key.openSSHLine(comment: entry.name.contains(where: \.isNewline) ? "" : entry.name) + "\n"
  }

  /// Writes a file for every vault key whose file is missing or different, and removes the `.pub` files of keys no
  /// longer in the vault. Returns the file of each key by vault name.
  @discardableResult
  public func refresh(_ view: VaultPublicView) throws(KeyholdError) -> [String: String] {
    if mkdir(directory, 0o700) != 0 && errno != EEXIST {
      throw KeyholdError("cannot make \(directory): \(String(cString: strerror(errno)))")
    }
    var out: [String: String] = [:]
    var wanted = Set<String>()
    for entry in view.entries {
      guard let text = Self.line(for: entry) else { continue }
      let path = self.path(for: entry)
      wanted.insert(AtomicFile.baseName(of: path))
      out[entry.name] = path
      let current = try? BoundedRead.file(path, limit: 1 << 20)
      if current == Array(text.utf8) { continue }
      do { try AtomicFile.replace(path: path, contents: Array(text.utf8), mode: 0o600) } catch {
        throw KeyholdError("cannot write \(path): \(error)")
      }
    }
    for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    where name.hasSuffix(".pub") && !wanted.contains(name) {
      unlink(directory + "/" + name)
    }
    return out
  }
}
