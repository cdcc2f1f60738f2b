import Foundation
import SSHWire
import Testing

@testable import SSHKeys

/// `PublicKey(blob:)` validates what the wire decoder cannot, and formats `.pub` lines like ssh-keygen.
@Suite struct PublicKeyTests {
  static func vectorKey(_ name: String) throws -> PublicKey {
    let line = try String(contentsOf: FingerprintTests.folder.appendingPathComponent(name + ".pub"), encoding: .utf8)
    return try FingerprintTests.publicKey(line: line)
  }

  @Test("an EC point that is not on the curve is malformed", arguments: ["ecdsa-256", "ecdsa-384", "ecdsa-521"])
  func pointOffCurveIsRefused(name: String) throws {
    let good = try PublicKeyTests.vectorKey(name)
    guard case .ecdsa(let curve, var point) = good.structure else {
      Issue.record("not ecdsa")
      return
    }
    point[point.count - 1] ^= 1
    let blob = PublicKeyBlob.ecdsa(curve: curve, point: point).encoded()
    #expect(throws: KeyError.self) { _ = try PublicKey(blob: blob) }
  }

  @Test("RSA under 2048 bits is unsupportedKeyType")
  func smallRSAIsUnsupported() throws {
    let n = [0xc1] + [UInt8](repeating: 0x55, count: 127)  // 1024 bits, odd
    let blob = PublicKeyBlob.rsa(e: [1, 0, 1], n: n).encoded()
    #expect(throws: KeyError.unsupportedKeyType("ssh-rsa with 1024 bits (the vault needs at least 2048)")) {
      _ = try PublicKey(blob: blob)
    }
  }

  @Test("RSA with an even modulus or exponent 1 is malformed")
  func badRSAParameters() throws {
    let n = [0xc1] + [UInt8](repeating: 0x55, count: 255)
    for blob in [
      PublicKeyBlob.rsa(e: [1], n: n).encoded(), PublicKeyBlob.rsa(e: [1, 0, 0], n: n).encoded(),
      PublicKeyBlob.rsa(e: [1, 0, 1], n: n.dropLast() + [0x54]).encoded(),
    ] {
      do {
        _ = try PublicKey(blob: blob)
        Issue.record("accepted")
      } catch {
        guard case .malformed = error else {
          Issue.record("\(error)")
          continue
        }
      }
    }
  }

  @Test("ssh-dss and security-key blobs are unsupportedKeyType")
  func unsupportedTypes() {
    for type in ["ssh-dss", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"] {
      var w = SSHWriter()
      w.writeString(type)
      w.writeString([UInt8](repeating: 1, count: 32))
      #expect(throws: KeyError.unsupportedKeyType(type)) { _ = try PublicKey(blob: w.bytes) }
    }
  }

  @Test("a wrong-size Ed25519 key is malformed, not a trap")
  func wrongSizeEd25519() {
    var w = SSHWriter()
    w.writeString("ssh-ed25519")
    w.writeString([UInt8](repeating: 1, count: 31))
    #expect(throws: KeyError.self) { _ = try PublicKey(blob: w.bytes) }
  }

  @Test("openSSHLine is the .pub line, with and without a comment")
  func openSSHLineMatchesPubFile() throws {
    let key = try PublicKeyTests.vectorKey("ed25519")
    let line = try String(contentsOf: FingerprintTests.folder.appendingPathComponent("ed25519.pub"), encoding: .utf8)
    #expect(key.openSSHLine(comment: "ed25519") == line.trimmingCharacters(in: .newlines))
    #expect(key.openSSHLine(comment: "") == line.split(separator: " ").prefix(2).joined(separator: " "))
  }

  @Test("equal blobs are equal keys; a certificate differs from its key")
  func equalityByBlob() throws {
    let a = try PublicKeyTests.vectorKey("ed25519")
    let b = try PublicKey(blob: a.blob)
    #expect(a == b && a.hashValue == b.hashValue)
    let cert = try PublicKeyTests.vectorKey("ed25519-cert")
    #expect(cert != a)
    #expect(cert.plainKey == a)
    #expect(cert.algorithm == .ed25519)
  }
}
