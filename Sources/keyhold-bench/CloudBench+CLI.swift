import Cloud
import Foundation
import KeyholdCore
import KeyholdCrypto
import KeyholdSystem
import SSHKeys
import Vault

/// The moto comparison run through the real commands: `keyhold sync` then `keyhold audit`, as two processes, over a
/// vault whose keys are bound to every listed key pair.
extension CloudBench {
  /// A fresh vault of `count` Ed25519 keys named `namePrefix`N, each bound to the key pair of its own name in every
  /// region of `endpointIdentity`, uploaded (ImportKeyPair) long ago to the account ``accountID`` reported.
  static func makeVault(path: String, endpointIdentity: String, regions: [String], count: Int, namePrefix: String)
    throws -> (VaultStore, [VaultEntry])
  {
    let passphrase = SecureBytes(copying: Array("bench passphrase".utf8))
    let store = VaultStore(path: path)
    try store.create(passphrase: passphrase, kdf: .minimum)
    var keys: [VaultNewKey] = []
    for i in 0..<count {
      let name = "\(namePrefix)\(i)"
      let key = try PrivateKey.generate(.ed25519, bits: nil, comment: name)
      let bindings = regions.map {
        VaultBinding(
          cloud: endpointIdentity, account: accountID, region: $0, keyName: name, createdAt: 1_000_000_000,
          flags: [.importedToCloud, .accountFromCloud])
      }
      keys.append(VaultNewKey(name: name, privateKey: key, bindings: bindings))
    }
    return (store, try store.add(keys, passphrase: passphrase))
  }

  /// Makes `count` Ed25519 keys, stores them in a fresh vault bound to `bench-N` in each region, and uploads each
  /// public key to each region. Returns the vault.
  static func makeBoundVault(dir: String, context: CloudContext, regions: [String], count: Int) throws -> VaultStore {
    let (store, entries) = try makeVault(
      path: dir + "/vault", endpointIdentity: context.endpointIdentity, regions: regions, count: count,
      namePrefix: "bench-")
    let upload = try entries.map { try PublicKey(blob: $0.publicKeyBlob).openSSHLine(comment: $0.name) }
    try blocking {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for region in regions {
          for lane in 0..<4 {
            group.addTask {
              let c = context.client(region: region)
              for i in stride(from: lane, to: upload.count, by: 4) {
                _ = try await c.importKeyPair(name: "bench-\(i)", publicKeyLine: upload[i])
              }
            }
          }
        }
        try await group.waitForAll()
      }
    }
    return store
  }

  /// Wall time of `keyhold sync --endpoint URL --region ...` followed by `keyhold audit`.
  static func timeCLI(keyhold: String, vault: String, url: String, regions: [String]) throws -> (Double, String) {
    var env = ProcessInfo.processInfo.environment
    env["AWS_ACCESS_KEY_ID"] = "AKIDBENCH"
    env["AWS_SECRET_ACCESS_KEY"] = "bench-secret"
    var summary = ""
    let t = try seconds {
      for args in [["sync", "--endpoint", url] + regions.flatMap { ["--region", $0] }, ["audit"]] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: keyhold)
        p.arguments = args + ["--vault", vault]
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus <= 1 else { throw BenchError("keyhold \(args[0]) exited \(p.terminationStatus)") }
        if let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last { summary = String(last) }
      }
    }
    return (t, summary)
  }

  /// (b) through the real commands: `keyhold sync` over every region of the replay endpoint followed by
  /// `keyhold audit`, on the vault the in-process runs used.
  static func replayCLI(keyhold: String, vault: String, url: String, regions: [String], perRegion: Int) throws {
    var best = Double.infinity
    var summary = ""
    for _ in 0..<2 {
      let (t, last) = try timeCLI(keyhold: keyhold, vault: vault, url: url, regions: regions)
      best = min(best, t)
      summary = last
    }
    print(
      "  keyhold sync + keyhold audit (two processes, \(perRegion) keys x \(regions.count) bindings): "
        + "\(ms(best)) ms wall (target <= 2000 ms) \(best <= 2 ? "PASS" : "FAIL")")
    print("  \(summary)")
  }
}
