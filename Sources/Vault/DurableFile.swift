/// Durable atomic replacement of a file, exactly as the vault itself is written: a temporary file in the same
/// folder, written in full, fsynced, renamed over the target, then the folder fsynced (keyhold-vault(5), "CRASH
/// SAFETY"). For files kept beside the vault, such as the audit report.
public enum DurableFile {
  /// Replaces `path` with `contents` and mode `mode`; a crash leaves the old file or the new one, never a mixture.
  ///
  /// A `path` that is a symbolic link is written through to its target, like the vault.
  public static func replace(path: String, contents: [UInt8], mode: UInt32 = 0o600) throws(VaultError) {
    let target = try VaultIO.resolveTarget(path)
    try VaultIO.replace(target, with: contents, mode: mode)
  }
}
