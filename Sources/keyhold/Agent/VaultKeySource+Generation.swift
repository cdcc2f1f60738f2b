#if canImport(Glibc)
  import Glibc
#endif

extension VaultKeySource {
  /// The vault file's modification time and inode: every write replaces the file (temp file + rename), so either
  /// changes when keys are imported, removed or renamed while the agent runs.
  func generation() -> UInt64 {
    var st = stat()
    guard stat(store.path, &st) == 0 else { return 0 }
    return UInt64(truncatingIfNeeded: st.st_mtim.tv_sec) &* 1_000_000_007
      &+ UInt64(truncatingIfNeeded: st.st_mtim.tv_nsec)
      &+ UInt64(truncatingIfNeeded: st.st_ino) &* 31
  }
}
