import Glibc
import KeyholdCrypto
import SSHKeys

/// The signing benchmark: process CPU time per `PrivateKey.sign` for each key type, the figure the agent's cost per
/// signature is compared on against OpenSSH's ssh-agent. `keyhold-bench keys [ITERATIONS]`.
enum KeysBench {
  /// Signs a 128-byte session-hash-sized message `iterations` times per key type (those whose name starts with
  /// `only`, when given) and prints µs of CPU per signature.
  static func run(only: String? = nil, iterations: Int = 2000) throws {
    // As the agent runs: private numbers of RSA and ECDSA keys in OpenSSL's secure heap.
    OpenSSLSecureHeap.enable()
    let message = [UInt8](repeating: 0xa5, count: 128)
    let cases: [(String, () throws -> PrivateKey, SignFlags)] = [
      ("ed25519", { try PrivateKey.generate(.ed25519) }, []),
      ("ecdsa-p256", { try PrivateKey.generate(.ecdsaP256) }, []),
      ("ecdsa-p384", { try PrivateKey.generate(.ecdsaP384) }, []),
      ("rsa-2048 rsa-sha2-512", { try PrivateKey.generate(.rsa, bits: 2048) }, .rsaSHA512),
      ("rsa-4096 rsa-sha2-512", { try PrivateKey.generate(.rsa, bits: 4096) }, .rsaSHA512),
    ]
    for (name, make, flags) in cases where only.map({ name.hasPrefix($0) }) ?? true {
      let key = try make()
      let n = name.hasPrefix("rsa-4096") ? max(iterations / 8, 1) : iterations
      _ = try key.sign(message, flags: flags)  // warm the context pool
      let start = cpuSeconds()
      var bytes = 0
      for _ in 0..<n { bytes &+= try key.sign(message, flags: flags).count }
      let perSign = (cpuSeconds() - start) / Double(n)
      let micros = (perSign * 1e7).rounded() / 10
      print("keys: \(name): \(micros) µs CPU per signature (\(n) signatures)")
      if bytes == 0 { print("keys: no signature bytes") }
    }
  }

  /// CPU time of the whole process (all threads), in seconds.
  private static func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }
}
