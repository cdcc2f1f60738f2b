import KeyholdCrypto
import SSHKeys
import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// The memory benchmark: what holding 1,000 keys costs the process, as the agent holds them after `ssh-add`.
///
/// The keys' wire forms are made first; then resident memory (VmRSS) and the number of memory mappings are read
/// before and after decoding all of them (PrivateKey.decodeWire, the agent's add path).
enum MemoryBench {
  static func run() throws {
    OpenSSLSecureHeap.enable()
    let count = 1_000
    var wires: [[UInt8]] = []
    for i in 0..<count {
      let algorithm: KeyAlgorithm = i % 10 == 9 ? .rsa : (i % 10 >= 7 ? .ecdsaP256 : .ed25519)
      let key = try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil)
      wires.append(key.encodeWire().unsafeCopy())
    }
    let rssBefore = residentKiB()
    let mapsBefore = mappings()
    var keys: [PrivateKey] = []
    for w in wires {
      var reader = SSHReader(w)
      keys.append(try PrivateKey.decodeWire(&reader))
    }
    let rss = residentKiB() - rssBefore
    let maps = mappings() - mapsBefore
    precondition(keys.count == count)
    print("memory: \(count) keys (700 ed25519, 200 ecdsa-p256, 100 rsa-2048) decoded as the agent adds them")
    print("  resident memory (VmRSS) added  \(rss) KiB (\(rss * 1024 / count) bytes/key)")
    print("  memory mappings added          \(maps) (\(Double(maps * 100 / count) / 100) per key)")
  }

  /// VmRSS of this process in KiB.
  private static func residentKiB() -> Int {
    for line in readLines("/proc/self/status") where line.hasPrefix("VmRSS:") {
      return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
    return 0
  }

  /// Number of lines in /proc/self/maps.
  private static func mappings() -> Int { readLines("/proc/self/maps").count }

  private static func readLines(_ path: String) -> [String] {
    guard let f = fopen(path, "r") else { return [] }
    defer { fclose(f) }
    var out: [String] = []
    var line: UnsafeMutablePointer<CChar>? = nil
    var cap = 0
    while getline(&line, &cap, f) > 0 { out.append(String(cString: line!)) }
    free(line)
    return out
  }
}
