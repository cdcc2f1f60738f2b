import Foundation
import SSHWire
import TestSupport
import Testing

/// The agent takes RSA keys of 1024 bits and more from ssh-add, as OpenSSH's agent does, while the vault keeps
/// its 2048-bit floor; DSA keys are refused with one log line naming their removal in OpenSSH 10.
@Suite struct AgentRSASizeTests {
  @Test func anRSA1024KeyFromSSHAddIsListedAndSignsVerifiably() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("rsa", bits: 1024, name: "small")
    let add = try bed.sshAdd([key])
    #expect(add.status == 0, "ssh-add: \(add.stderr)")
    #expect(try bed.listed() == [try bed.fingerprint(key + ".pub")])
    // ssh-keygen -Y sign with a public key file asks the agent for the signature.
    let message = bed.directory.path + "/message"
    try "signed by a 1024-bit key\n".write(toFile: message, atomically: true, encoding: .utf8)
    let sign = try bed.run("/usr/bin/ssh-keygen", ["-Y", "sign", "-f", key + ".pub", "-n", "file", message])
    #expect(sign.status == 0, "sign: \(sign.stderr)")
    let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8)
    try "small@test \(publicKey)".write(
      toFile: bed.directory.path + "/allowed", atomically: true, encoding: .utf8)
    let verify = try bed.run(
      "/bin/sh",
      [
        "-c",
        "exec /usr/bin/ssh-keygen -Y verify -f \"$1\" -I small@test -n file -s \"$2.sig\" < \"$2\"", "sh",
        bed.directory.path + "/allowed", message,
      ])
    #expect(verify.status == 0, "verify: \(verify.stdout) \(verify.stderr)")
    #expect(verify.stdout.contains("Good \"file\" signature for small@test with RSA key"))
  }

  @Test func anRSAKeyUnder1024BitsIsStillRefused() throws {
    let bed = try AgentTestbed()
    // ssh-keygen refuses to make one; the agent's floor is checked with a raw request instead.
    let add = try Self.send(Self.addRSA(modulusBits: 768), to: bed.socket)
    #expect(add == [5])  // SSH_AGENT_FAILURE
    #expect(Poll.until(Poll.answer) { bed.log.contains("ssh-rsa with 768 bits (at least 1024)") })
  }

  @Test func aDSAKeyIsRefusedWithOneLogLineNamingOpenSSH10() throws {
    let bed = try AgentTestbed()
    let add = try Self.send(Self.addDSA(), to: bed.socket)
    #expect(add == [5])  // SSH_AGENT_FAILURE
    let line = "DSA support was removed in OpenSSH 10.0"
    #expect(Poll.until(Poll.answer) { bed.log.contains(line) })
    #expect(bed.log.components(separatedBy: line).count == 2, "log: \(bed.log)")
    #expect(try bed.listed().isEmpty)
  }

  @Test func theVaultKeepsItsFloorAndSaysSo() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let key = try s.keygen("small", type: "rsa", bits: 1024)
    let r = try s.run(["import", key])
    #expect(r.status != 0)
    #expect(r.stderr.contains("ssh-rsa with 1024 bits (the vault needs at least 2048)"), "stderr: \(r.stderr)")
  }

  /// SSH2_AGENTC_ADD_IDENTITY of an `ssh-dss` key (PROTOCOL.agent: p, q, g, y, x), with numbers of the right
  /// sizes; the agent must refuse it by its type.
  static func addDSA() -> [UInt8] {
    var w = SSHWriter(capacity: 512)
    w.writeByte(17)
    w.writeString("ssh-dss")
    for size in [128, 20, 128, 128, 20] { w.writePositiveMPInt([0x5a] + [UInt8](repeating: 0x33, count: size - 1)) }
    w.writeString("dsa@test")
    return w.bytes
  }

  /// SSH2_AGENTC_ADD_IDENTITY of an `ssh-rsa` key whose modulus has `modulusBits` bits (n, e, d, iqmp, p, q).
  static func addRSA(modulusBits: Int) -> [UInt8] {
    var w = SSHWriter(capacity: 512)
    w.writeByte(17)
    w.writeString("ssh-rsa")
    let bytes = modulusBits / 8
    w.writePositiveMPInt([0xc1] + [UInt8](repeating: 0x55, count: bytes - 1))
    w.writePositiveMPInt([0x01, 0x00, 0x01])
    for size in [bytes, bytes / 2, bytes / 2, bytes / 2] {
      w.writePositiveMPInt([0x5b] + [UInt8](repeating: 0x35, count: size - 1))
    }
    w.writeString("rsa@test")
    return w.bytes
  }

  /// Sends one framed request to the agent at `path` and returns the reply's body.
  static func send(_ body: [UInt8], to path: String) throws -> [UInt8] {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    let n = UInt32(body.count)
    let frame = [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + body
    guard frame.withUnsafeBytes({ write(fd, $0.baseAddress!, $0.count) }) == frame.count else {
      throw POSIXError(.EIO)
    }
    func readExactly(_ count: Int) throws -> [UInt8] {
      var out = [UInt8](repeating: 0, count: count)
      var got = 0
      while got < count {
        let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
        if r < 0 && errno == EINTR { continue }
        guard r > 0 else { throw POSIXError(.EPIPE) }
        got += r
      }
      return out
    }
    let header = try readExactly(4)
    let length = header.reduce(0) { $0 << 8 | Int($1) }
    return try readExactly(length)
  }
}
