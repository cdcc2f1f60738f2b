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
}
