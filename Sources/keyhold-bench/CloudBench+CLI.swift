import Cloud
import Foundation
import SSHKeys
import Vault

/// The moto comparison run through the real commands: `keyhold sync` then `keyhold audit`, as two processes, over a
/// vault whose keys are bound to every listed key pair.
extension CloudBench {
  /// Makes `count` Ed25519 keys, stores them in a fresh vault bound to `bench-N` in each region, and uploads each
  /// public key to each region. Returns the vault path.
  static func makeBoundVault(
    dir: String, url: String, regions: [String], count: Int, creds: AWSCredentials, endpoint: EC2Endpoint,
    transport: URLSessionTransport
  ) throws -> String {
    let path = dir + "/vault"
    let passphrase = SecureBytes(copying: Array("bench passphrase".utf8))
    let store = VaultStore(path: path)
    try store.create(passphrase: passphrase, kdf: .minimum)
    var keys: [VaultNewKey] = []
    var lines: [String] = []
    for i in 0..<count {
      let key = try PrivateKey.generate(.ed25519, bits: nil, comment: "bench-\(i)")
      let bindings = regions.map { VaultBinding(cloud: url, region: $0, keyName: "bench-\(i)") }
      keys.append(VaultNewKey(name: "bench-\(i)", privateKey: key, bindings: bindings))
      lines.append(try PublicKey(blob: key.publicKey.blob).openSSHLine(comment: "bench-\(i)"))
    }
    try store.add(keys, passphrase: passphrase)
    let upload = lines
    try blockingThrows {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for region in regions {
          for lane in 0..<4 {
            group.addTask {
              let c = EC2Client(endpoint: endpoint.with(region: region), credentials: creds, transport: transport)
              for i in stride(from: lane, to: upload.count, by: 4) {
                _ = try await c.importKeyPair(name: "bench-\(i)", publicKeyLine: upload[i])
              }
            }
          }
        }
        try await group.waitForAll()
      }
    }
    return path
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

  /// (b) through the real commands: a vault of `perRegion` keys each bound in every region (`cloud` empty: the
  /// endpoint given at sync time), the replay endpoint serving their fingerprints, then `keyhold sync` over every
  /// region followed by `keyhold audit`.
  static func replayCLI(keyhold: String, regions: [String], perRegion: Int) throws {
    let dir = NSTemporaryDirectory() + "keyhold-replay-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/vault"
    let passphrase = SecureBytes(copying: Array("bench passphrase".utf8))
    let store = VaultStore(path: path)
    try store.create(passphrase: passphrase, kdf: .minimum)
    var keys: [VaultNewKey] = []
    for i in 0..<perRegion {
      let key = try PrivateKey.generate(.ed25519, bits: nil, comment: "bench-key-\(i)")
      let bindings = regions.map { VaultBinding(cloud: "", region: $0, keyName: "bench-key-\(i)") }
      keys.append(VaultNewKey(name: "bench-key-\(i)", privateKey: key, bindings: bindings))
    }
    try store.add(keys, passphrase: passphrase)
    let entries = try store.readPublic().entries
    var fingerprints: [String: String] = [:]
    for e in entries { fingerprints[e.name] = e.fingerprint("sha256-b64") ?? "" }
    var bodies: [String: [UInt8]] = [:]
    for (r, region) in regions.enumerated() {
      bodies[region] = describeBody(region: r, count: perRegion) { fingerprints["bench-key-\($0)"] ?? "" }
    }
    let server = try CloudReplayServer.start(bodies: bodies)
    defer { server.stop() }
    var best = Double.infinity
    var summary = ""
    for _ in 0..<2 {
      let (t, last) = try timeCLI(
        keyhold: keyhold, vault: path, url: "http://127.0.0.1:\(server.port)", regions: regions)
      best = min(best, t)
      summary = last
    }
    print(
      "  keyhold sync + keyhold audit (two processes, \(perRegion) keys x \(regions.count) bindings): "
        + "\(ms(best)) ms wall (target <= 2000 ms) \(best <= 2 ? "PASS" : "FAIL")")
    print("  \(summary)")
  }
}
