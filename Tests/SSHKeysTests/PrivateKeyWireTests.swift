import Foundation
import KeyholdCrypto
import SSHWire
import Testing

@testable import SSHKeys

/// The PROTOCOL.agent private-key wire form: canonical round trips, certificates, and inconsistent keys that must
/// throw rather than load or trap.
@Suite struct PrivateKeyWireTests {
  static let vectorNames = ["rsa-2048", "rsa-3072", "ecdsa-256", "ecdsa-384", "ecdsa-521", "ed25519"]

  static func vectorWire(_ name: String) throws -> [UInt8] {
    let url = FingerprintTests.folder.appendingPathComponent(name + ".openssh")
    return try KeyTestSupport.readOpenSSHFile(String(contentsOf: url, encoding: .utf8)).privateWire
  }

  static func decode(_ bytes: [UInt8]) throws(KeyError) -> PrivateKey {
    try PrivateKey.decodeWire(SecureBytes(copying: bytes))
  }

  @Test("the private section ssh-keygen wrote decodes and re-encodes byte for byte", arguments: vectorNames)
  func sshKeygenWireRoundTrips(name: String) throws {
    let wire = try PrivateKeyWireTests.vectorWire(name)
    let key = try PrivateKeyWireTests.decode(wire)
    #expect(key.encodeWire().unsafeCopy() == wire)
  }

  @Test("generated keys round-trip encodeWire -> decodeWire for every type", arguments: KeyAlgorithm.allCases)
  func generatedWireRoundTrips(algorithm: KeyAlgorithm) throws {
    let key = try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil)
    let wire = key.encodeWire()
    let again = try PrivateKey.decodeWire(wire)
    #expect(again.publicKey == key.publicKey)
    #expect(again.encodeWire().unsafeCopy() == wire.unsafeCopy())
    var reader = SSHReader(wire.unsafeCopy() + Array("comment".utf8))
    _ = try PrivateKey.decodeWire(&reader)
    #expect(reader.remaining == 7)
  }

  @Test(
    "a key loaded with its certificate round-trips in the certificate form", arguments: ["ed25519", "ecdsa", "rsa"])
  func certificateFormRoundTrips(type: String) throws {
    let dir = try KeyTestSupport.tempDir()
    let ca = try KeyTestSupport.sshKeygen("ed25519", in: dir, name: "ca")
    let file = try KeyTestSupport.sshKeygen(type, bits: type == "rsa" ? 2048 : nil, in: dir, name: "user")
    let signed = try KeyTestSupport.run([
      "ssh-keygen", "-q", "-s", ca.path, "-I", "id", "-n", "root", file.path + ".pub",
    ])
    #expect(signed.status == 0, "\(signed.stderr)")
    let certLine = try String(contentsOf: dir.appendingPathComponent("user-cert.pub"), encoding: .utf8)
    let cert = try FingerprintTests.publicKey(line: certLine)
    let plain = try KeyTestSupport.loadOpenSSHKey(file)
    let key = try plain.withCertificate(cert)
    #expect(key.publicKey == cert && key.certificate == cert)
    #expect(key.plainPublicKey == plain.publicKey)
    #expect(key.withoutCertificate().publicKey == plain.publicKey)

    let wire = key.encodeWire().unsafeCopy()
    var r = SSHReader(wire)
    #expect(try r.readUTF8() == cert.typeName)
    #expect(try r.readString() == cert.blob)
    let again = try PrivateKeyWireTests.decode(wire)
    #expect(again.publicKey == cert)
    #expect(again.plainPublicKey == plain.publicKey)
    #expect(again.encodeWire().unsafeCopy() == wire)

    // A certificate key signs as its plain key, under the plain algorithm name.
    let flags: SignFlags = type == "rsa" ? .rsaSHA512 : []
    let sig = try KeyTestSupport.sshsig(key: again, namespace: "file", message: [1, 2, 3], flags: flags)
    let ok = try KeyTestSupport.checkWithSSHKeygen(sig: sig, message: [1, 2, 3], namespace: "file", in: dir)
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(
      try SignatureBlob(decoding: again.sign([1], flags: flags)).algorithm == plain.signatureAlgorithm(flags: flags))
  }

  @Test("a certificate for another key is refused")
  func certificateForAnotherKey() throws {
    let line = try String(
      contentsOf: FingerprintTests.folder.appendingPathComponent("ed25519-cert.pub"), encoding: .utf8)
    let cert = try FingerprintTests.publicKey(line: line)
    let other = try PrivateKey.generate(.ed25519)
    #expect(throws: KeyError.self) { _ = try other.withCertificate(cert) }
    // The same mismatch inside the wire form.
    var fields = PrivateKey.Fields.decodePlain(other.encodeWire())
    defer { fields.wipe() }
    let wire = fields.encode(certificateBlob: cert.blob).unsafeCopy()
    #expect(throws: KeyError.self) { _ = try PrivateKeyWireTests.decode(wire) }
  }

  /// Re-encodes the fields of a vector key after `change`; the result must be refused as malformed.
  static func tampered(_ name: String, _ change: (inout PrivateKey.Fields) -> Void) throws -> [UInt8] {
    var f = PrivateKey.Fields.decodePlain(SecureBytes(copying: try vectorWire(name)))
    change(&f)
    return f.encode().unsafeCopy()
  }

  static func bump(_ bytes: inout [UInt8]) { bytes[bytes.count - 1] ^= 0x02 }

  @Test(
    "inconsistent keys throw malformed",
    arguments: [
      "ed25519 public half of secret", "ed25519 seed", "ed25519 public key everywhere", "ecdsa d", "ecdsa Q",
      "rsa p", "rsa q and p swapped", "rsa iqmp", "rsa d", "rsa e",
    ])
  func inconsistentKeyIsRefused(change: String) throws {
    let wire: [UInt8]
    switch change {
    case "ed25519 public half of secret": wire = try Self.tampered("ed25519") { Self.bump(&$0.secret) }
    case "ed25519 seed": wire = try Self.tampered("ed25519") { $0.secret[0] ^= 1 }
    case "ed25519 public key everywhere":
      wire = try Self.tampered("ed25519") {
        Self.bump(&$0.point)
        Self.bump(&$0.secret)
      }
    case "ecdsa d": wire = try Self.tampered("ecdsa-256") { Self.bump(&$0.secret) }
    case "ecdsa Q": wire = try Self.tampered("ecdsa-384") { Self.bump(&$0.point) }
    case "rsa p": wire = try Self.tampered("rsa-2048") { Self.bump(&$0.p) }
    case "rsa q and p swapped": wire = try Self.tampered("rsa-2048") { swap(&$0.p, &$0.q) }
    case "rsa iqmp": wire = try Self.tampered("rsa-2048") { Self.bump(&$0.iqmp) }
    case "rsa d": wire = try Self.tampered("rsa-2048") { Self.bump(&$0.secret) }
    default: wire = try Self.tampered("rsa-2048") { $0.e = [0x01, 0x00, 0x03] }
    }
    do {
      _ = try PrivateKeyWireTests.decode(wire)
      Issue.record("\(change): accepted")
    } catch {
      guard case .malformed = error else {
        Issue.record("\(change): \(error)")
        return
      }
    }
  }

  @Test("every truncation of a private key throws and none traps", arguments: ["ed25519", "ecdsa-256", "rsa-2048"])
  func truncatedWireIsRefused(name: String) throws {
    let wire = try PrivateKeyWireTests.vectorWire(name)
    let step = name.hasPrefix("rsa") ? 7 : 1
    for n in stride(from: 0, to: wire.count, by: step) {
      #expect(throws: KeyError.self) { _ = try PrivateKeyWireTests.decode(Array(wire.prefix(n))) }
    }
  }

  @Test("trailing bytes after a complete key are refused")
  func trailingBytesRefused() throws {
    let wire = try PrivateKeyWireTests.vectorWire("ed25519")
    #expect(throws: KeyError.self) { _ = try PrivateKeyWireTests.decode(wire + [0]) }
  }

  @Test("ssh-dss, security keys and RSA under 2048 bits are unsupportedKeyType")
  func unsupportedTypes() throws {
    var dss = SSHWriter()
    dss.writeString("ssh-dss")
    for _ in 0..<5 { dss.writePositiveMPInt([5]) }
    var sk = SSHWriter()
    sk.writeString("sk-ssh-ed25519@openssh.com")
    let dir = try KeyTestSupport.tempDir()
    let small = try KeyTestSupport.sshKeygen("rsa", bits: 1024, in: dir, name: "small")
    let smallWire = try KeyTestSupport.readOpenSSHFile(String(contentsOf: small, encoding: .utf8)).privateWire
    for wire in [dss.bytes, sk.bytes, smallWire] {
      do {
        _ = try PrivateKeyWireTests.decode(wire)
        Issue.record("accepted")
      } catch {
        guard case .unsupportedKeyType = error else {
          Issue.record("\(error)")
          continue
        }
      }
    }
  }

  @Test("generate refuses sizes keyhold does not support")
  func generateRefusesBadSizes() {
    #expect(throws: KeyError.self) { _ = try PrivateKey.generate(.rsa, bits: 1024) }
    #expect(throws: KeyError.self) { _ = try PrivateKey.generate(.ecdsaP256, bits: 300) }
    #expect(throws: KeyError.self) { _ = try PrivateKey.generate(.ed25519, bits: 512) }
  }

  @Test(
    "generated keys have the requested type and size",
    arguments: [
      (KeyAlgorithm.ed25519, nil, 256), (.ecdsaP256, nil, 256), (.ecdsaP256, 384, 384), (.ecdsaP521, nil, 521),
      (.rsa, nil, 3072), (.rsa, 2048, 2048),
    ] as [(KeyAlgorithm, Int?, Int)])
  func generatedKeySizes(algorithm: KeyAlgorithm, bits: Int?, expected: Int) throws {
    let key = try PrivateKey.generate(algorithm, bits: bits, comment: "c")
    #expect(key.publicKey.bits == expected)
    #expect(key.comment == "c")
  }

  @Test("fromEVP keeps the comment and the key (through the OpenSSL generator)")
  func fromEVPKeepsKey() throws {
    let key = try PrivateKey.generate(.ecdsaP384, comment: "from evp")
    guard case .ecdsa(let evp, _, _) = key.material else {
      Issue.record("not ecdsa")
      return
    }
    let copy = try PrivateKey.fromEVP(evp.pointer, comment: "copy")
    #expect(copy.publicKey == key.publicKey)
    #expect(copy.comment == "copy")
    #expect(try copy.pkcs8DER().unsafeCopy() == key.pkcs8DER().unsafeCopy())
  }
}
