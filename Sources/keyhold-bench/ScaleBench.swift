import AgentServer
import Foundation
import KeyholdCrypto
import SSHKeys
import SSHWire
import TestSupport
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// The scale benchmark (`keyhold-bench scale`): what 10,000 keys cost the agent.
///
/// (a) Agent CPU per add for adds 1–1,000 and 9,001–10,000 on one agent over one connection: adding must stay
/// linear (target: the late adds cost at most 2× the early ones). The CPU time is summed over the agent's threads
/// from /proc/PID/task/TID/schedstat (nanoseconds): /proc/PID/stat counts clock ticks of 10 ms, coarser than
/// 1,000 adds take; the tick count is printed beside it.
/// (b) Resident memory per key after unlocking a 10,000-key vault and letting the agent settle, over an agent that
/// unlocked a one-key vault (target: at most 1 KiB per key). The one-key agent has already paid what an unlock
/// costs once whatever the vault's size: the code pages the unlock and key-building paths touch (about 2 MiB of
/// the binary and its libraries, file-backed) and the first guarded chunk. The figure over an empty vault, which
/// includes them, is printed beside it, and so is the anonymous (private, not file-backed) part of that figure.
enum ScaleBench {
  static let keyCount = 10_000
  static let window = 1_000

  static func run() throws {
    let dir = TemporaryTree.make("keyhold-bench-scale")
    defer { TemporaryTree.remove(dir) }
    let keyholdBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
      .deletingLastPathComponent().appendingPathComponent("keyhold").path
    guard FileManager.default.isExecutableFile(atPath: keyholdBinary) else {
      print("scale: \(keyholdBinary) not built; run `swift build -c release` first")
      return
    }
    print("scale: generating \(keyCount) Ed25519 keys...")
    let keys = try (0..<keyCount).map { i in try PrivateKey.generate(.ed25519, comment: "scale-\(i)") }
    var failures: [String] = []
    print(AgentBench.row("measurement", "schedstat", "", "ratio", "target"))

    // (a) Adds.
    let agent = try AgentBench.start(
      "keyhold", keyholdBinary, ["agent", "-D", "--no-vault", "-a", dir + "/add.sock"], dir)
    defer { stop(agent) }
    let client = try AgentClient(path: agent.socket)
    // Agent CPU for adding `slice`, by thread schedstat and by /proc/PID/stat ticks.
    func adds(_ slice: ArraySlice<PrivateKey>) throws -> (cpu: Double, ticks: Double) {
      let (start, startTicks) = (threadCPU(agent.pid), AgentBench.cpuSeconds(agent.pid))
      for k in slice { try AgentBench.add(k, to: client) }
      return (threadCPU(agent.pid) - start, AgentBench.cpuSeconds(agent.pid) - startTicks)
    }
    let (early, earlyTicks) = try adds(keys[0..<window])
    for k in keys[window..<(keyCount - window)] { try AgentBench.add(k, to: client) }
    let (late, lateTicks) = try adds(keys[(keyCount - window)...])
    let ratio = late / max(early, 1e-9)
    print(
      AgentBench.row(
        "add CPU/op, adds 1-1,000", AgentBench.micro(early / Double(window)),
        "stat " + AgentBench.micro(earlyTicks / Double(window)), "", "-"))
    print(
      AgentBench.row(
        "add CPU/op, adds 9,001-10,000", AgentBench.micro(late / Double(window)),
        "stat " + AgentBench.micro(lateTicks / Double(window)), String(format: "%.2fx", ratio), "≤ 2.00x"))
    if ratio > 2 { failures.append("add linearity") }

    // (b) Memory after unlocking a 10,000-key vault, over agents that unlocked a one-key and an empty vault.
    let passphrase = SecureBytes(copying: Array("bench passphrase".utf8))
    func vault(_ name: String, _ keys: ArraySlice<PrivateKey>) throws -> VaultStore {
      let store = VaultStore(path: dir + "/" + name)
      try store.create(passphrase: passphrase, kdf: .minimum)
      if !keys.isEmpty {
        try store.add(keys.map { VaultNewKey(name: $0.comment, privateKey: $0) }, passphrase: passphrase)
      }
      return store
    }
    let (empty, one, full) = (
      try vault("empty-vault", []), try vault("one-vault", keys[0..<1]), try vault("full-vault", keys[...])
    )
    let emptyRSS = try unlockedRSS(keyholdBinary, vault: empty.path, socket: dir + "/empty.sock", dir)
    let oneRSS = try unlockedRSS(keyholdBinary, vault: one.path, socket: dir + "/one.sock", dir)
    let fullRSS = try unlockedRSS(keyholdBinary, vault: full.path, socket: dir + "/full.sock", dir)
    let perKey = Double(fullRSS.rss - oneRSS.rss) * 1024 / Double(keyCount - 1)
    let perKeyOverEmpty = Double(fullRSS.rss - emptyRSS.rss) * 1024 / Double(keyCount)
    for (label, r) in [("empty", emptyRSS), ("one-key", oneRSS)] {
      print(
        AgentBench.row(
          "RSS, \(label) vault unlocked", "\(r.rss) KiB", "", "", "anon \(r.anonymous) / locked \(r.locked) KiB"))
    }
    print(
      AgentBench.row(
        "RSS, 10,000-key vault unlocked", "\(fullRSS.rss) KiB", "\(fullRSS.listed) keys", "",
        "anon \(fullRSS.anonymous) / locked \(fullRSS.locked) KiB"))
    print(AgentBench.row("RSS per key over one-key vault", String(format: "%.0f B", perKey), "", "", "≤ 1024 B"))
    print(AgentBench.row("  over empty vault", String(format: "%.0f B", perKeyOverEmpty), "", "", "-"))
    let anonymousOverEmpty = Double(fullRSS.anonymous - emptyRSS.anonymous) * 1024 / Double(keyCount)
    print(AgentBench.row("  anonymous, over empty vault", String(format: "%.0f B", anonymousOverEmpty), "", "", "-"))
    if oneRSS.listed != 1 { failures.append("one-key vault holds \(oneRSS.listed) keys") }
    if fullRSS.listed != keyCount { failures.append("unlocked vault holds \(fullRSS.listed) keys") }
    if perKey > 1024 { failures.append("RSS per key") }
    print(failures.isEmpty ? "scale: every target met" : "scale: targets missed: \(failures.joined(separator: ", "))")
  }

  /// Starts an agent on `vault`, opens it with `vault-unlock@keyhold`, lets it settle, and reads its RSS.
  static func unlockedRSS(_ binary: String, vault: String, socket: String, _ dir: String) throws -> (
    rss: Int, listed: Int, anonymous: Int, locked: Int
  ) {
    let agent = try AgentBench.start("keyhold", binary, ["agent", "-D", "--vault", vault, "-a", socket], dir)
    defer { stop(agent) }
    let client = try AgentClient(path: socket)
    let unlock = AgentRequest.extension(
      .vaultUnlock(passphrase: Array("bench passphrase".utf8), timeoutSeconds: 0))
    guard try client.call(unlock) == .success else { throw POSIXError(.EACCES) }
    // A listing of 10,000 keys is longer than a client accepts (256 KiB); status@keyhold counts them instead.
    let status = AgentRequest.extension(.other(name: AgentStatus.extensionName, contents: []))
    guard case .extensionResponse(.other(AgentStatus.extensionName, let contents)) = try client.call(status),
      let decoded = AgentStatus.decode(contents)
    else { throw POSIXError(.EPROTO) }
    sleep(2)  // let the unlock's transient allocations be returned and the pool threads go idle
    return (
      AgentBench.rssKiB(agent.pid), Int(decoded.vaultKeys), AgentBench.rssKiB(agent.pid, field: "RssAnon:"),
      AgentBench.rssKiB(agent.pid, field: "VmLck:")
    )
  }

  static func stop(_ peer: AgentBench.Peer) {
    kill(peer.pid, SIGTERM)
    waitpid(peer.pid, nil, 0)
  }

  /// CPU time of every thread of `pid` so far, in seconds: the first field of each thread's schedstat, in
  /// nanoseconds (a thread that exits meanwhile takes its share with it; the agent's pool threads stay).
  static func threadCPU(_ pid: pid_t) -> Double {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return 0 }
    var total = 0.0
    for task in tasks {
      guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
        let first = text.split(separator: " ").first, let ns = Double(first)
      else { continue }
      total += ns
    }
    return total / 1e9
  }
}
