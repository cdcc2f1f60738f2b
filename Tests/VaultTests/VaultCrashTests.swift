import Foundation
import SSHKeys
import TestSupport
import Testing

@testable import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// The folder holding Package.swift.
private let repoRoot = Repository.root

/// Starts `/bin/sh -c script args...` in its own process group with stdout on a pipe; returns (pid, read end).
private func spawnGroup(_ script: String, _ args: [String]) -> (pid_t, Int32) {
  var fds: [Int32] = [0, 0]
  // Close-on-exec: other suites spawn programs from this process at the same time, and one that inherited the write
  // end would hold readAll until it exits. The dup2 below gives the child its own inheritable copy.
  precondition(pipe(&fds) == 0)
  for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
  posix_spawn_file_actions_addclose(&actions, fds[0])
  var attr = posix_spawnattr_t()
  posix_spawnattr_init(&attr)
  defer { posix_spawnattr_destroy(&attr) }
  posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
  posix_spawnattr_setpgroup(&attr, 0)
  let argv = (["/bin/sh", "-c", script, "sh"] + args).map { strdup($0) } + [nil]
  defer { for p in argv { free(p) } }
  var pid: pid_t = 0
  precondition(posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ) == 0)
  close(fds[1])
  return (pid, fds[0])
}

/// Reads a descriptor to its end.
private func readAll(_ fd: Int32) -> String {
  var out = [UInt8]()
  var buf = [UInt8](repeating: 0, count: 4096)
  while true {
    let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { break }
    out += buf[..<n]
  }
  return String(decoding: out, as: UTF8.self)
}

/// Importers killed with SIGKILL at random moments, hundreds of times: after every kill the vault opens with the
/// passphrase and holds every key whose import had reported success.
///
/// The kill moments come from a window that follows the machine's speed: a batch that reports nothing before its kill
/// widens it, a batch that finishes shrinks it. A fixed window on a loaded machine kills every importer before its
/// first write, and the test then proves nothing (and fails its own check that some import was confirmed).
@Test func killedImportersNeverLeaveABrokenVaultOrLoseAReportedKey() throws {
  let binary = repoRoot.appendingPathComponent(".build/debug/keyhold").path
  try #require(
    FileManager.default.isExecutableFile(atPath: binary),
    "build keyhold first (swift build --build-tests)")
  let dir = TemporaryTree.make("keyhold-vault-test")
  defer { TemporaryTree.remove(dir) }
  let store = VaultStore(path: dir + "/v/vault")
  let passphrase = secret("crash test")
  try store.create(passphrase: passphrase, kdf: .minimum)
  writeBytes(dir + "/pass", Array("crash test\n".utf8))
  let total = 400
  mkdir(dir + "/keys", 0o700)
  for i in 0..<total {
    let key = try PrivateKey.generate(.ed25519, comment: "k\(i)")
    writeBytes(dir + "/keys/k\(i)", Array(key.openSSHPrivateKeyFile().utf8))
  }
  // Each importer keeps the pipe open as descriptor 5 (5>&1 comes before >/dev/null), so reading the pipe to its end
  // also waits until every killed importer has really exited and can no longer write the vault.
  let batch = 6
  let script = """
    for n in "$@"; do
      "\(binary)" import --vault "\(store.path)" --passphrase-fd 3 --name "$n" "\(dir)/keys/$n" 3<"\(dir)/pass" \
        5>&1 >/dev/null 2>&1 && echo "ok $n"
    done
    """
  var confirmed = Set<String>()
  var present = Set<String>()
  var kills = 0
  var rng = SystemRandomNumberGenerator()
  // Microseconds; 90 ms lands inside the first few imports of a batch on an idle machine.
  var window: UInt32 = 90_000
  while kills < 250 {
    let remaining = (0..<total).map { "k\($0)" }.filter { !present.contains($0) }
    if remaining.isEmpty { break }
    let (pid, out) = spawnGroup(script, Array(remaining.prefix(batch)))
    usleep(UInt32.random(in: 0..<window, using: &rng))
    kill(-pid, SIGKILL)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let lines = readAll(out)
    close(out)
    kills += 1
    var reported = 0
    for line in lines.split(separator: "\n") where line.hasPrefix("ok ") {
      confirmed.insert(String(line.dropFirst(3)))
      reported += 1
    }
    if reported == 0 {
      window = min(window + window / 2, 5_000_000)
    } else if reported == batch {
      window = max(window - window / 4, 10_000)
    }
    let keys = try store.unlock(passphrase: passphrase)
    present = Set(keys.map(\.entry.name))
    #expect(present.count == keys.count)
    let lost = confirmed.subtracting(present)
    #expect(
      lost.isEmpty, "after kill \(kills): reported imports missing from the vault: \(lost.sorted())"
    )
    if !lost.isEmpty { break }
  }
  #expect(kills >= 200 || present.count == total)
  #expect(!confirmed.isEmpty)
  // The next write removes any temp file a killed writer left behind.
  try store.updateStatus { _, _ in }
  let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/v").filter {
    $0.contains(".tmp-")
  }
  #expect(leftovers.isEmpty)
}
