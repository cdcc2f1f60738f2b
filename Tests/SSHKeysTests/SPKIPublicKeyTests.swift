import Foundation
import KeyholdCrypto
import Testing

@testable import SSHKeys

/// SubjectPublicKeyInfo public keys (`openssl pkey -pubout`) read against OpenSSH and OpenSSL themselves: the blob
/// equals `ssh-keygen -y` of the private key, and `md5-spki` equals `openssl pkey -pubin -outform DER | openssl md5`.
@Suite struct SPKIPublicKeyTests {
  /// Private keys in testdata/keys that both `openssl pkey` and `ssh-keygen -y` read.
  static let privateKeys = [
    "openssl-rsa2048-pkcs1.pem", "openssl-rsa3072-pkcs8.pem", "openssl-ecdsa256-sec1.pem",
    "openssl-ecdsa384-pkcs8.pem", "openssl-ecdsa521-sec1.pem", "sshkeygen-rsa3072-pkcs8", "sshkeygen-ecdsa384-pem",
  ]

  /// `openssl pkey -in KEY -pubout -outform FORMAT` of a vector key.
  static func opensslPublic(_ name: String, format: String) throws -> [UInt8] {
    let r = try KeyTestSupport.run([
      "openssl", "pkey", "-in", Fixtures.url("keys/\(name)").path, "-pubout", "-outform", format,
    ])
    #expect(r.status == 0, "openssl pkey failed: \(r.stderr)")
    return Array(r.stdout)
  }

  /// `ssh-keygen -y` of a vector key, copied to a private temp file first (ssh-keygen refuses readable keys).
  static func sshKeygenPublicLine(_ name: String) throws -> String {
    let dir = try KeyTestSupport.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let copy = dir.appendingPathComponent("key")
    try KeyTestSupport.writePrivate(try Fixtures.text("keys/\(name)"), to: copy)
    let r = try KeyTestSupport.run(["ssh-keygen", "-y", "-f", copy.path])
    #expect(r.status == 0, "ssh-keygen -y failed: \(r.stderr)")
    return r.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").prefix(2)
      .joined(separator: " ")
  }

  @Test(arguments: privateKeys)
  func pemPublicKeyGivesTheBlobSSHKeygenDerives(name: String) throws {
    let parsed = try KeyFile.parse(try Self.opensslPublic(name, format: "PEM"), passphrase: nil as SecureBytes?)
    #expect(parsed.container == .spki)
    #expect(parsed.privateKey == nil)
    #expect(!parsed.wasEncrypted)
    #expect(parsed.publicKey.openSSHLine(comment: "") == (try Self.sshKeygenPublicLine(name)))
  }

  @Test(arguments: privateKeys)
  func derPublicKeyGivesTheBlobSSHKeygenDerives(name: String) throws {
    let parsed = try KeyFile.parse(try Self.opensslPublic(name, format: "DER"), passphrase: nil as SecureBytes?)
    #expect(parsed.container == .spki)
    #expect(parsed.publicKey.openSSHLine(comment: "") == (try Self.sshKeygenPublicLine(name)))
  }

  @Test(arguments: privateKeys)
  func md5SPKIOfTheParsedKeyMatchesOpenSSL(name: String) throws {
    let pem = try Self.opensslPublic(name, format: "PEM")
    let parsed = try KeyFile.parse(pem, passphrase: nil as SecureBytes?)
    let der = try KeyTestSupport.run(["openssl", "pkey", "-pubin", "-outform", "DER"], stdin: Data(pem))
    #expect(der.status == 0, "\(der.stderr)")
    let md5 = try KeyTestSupport.run(["openssl", "md5", "-c"], stdin: der.stdout)
    let expected = try #require(md5.text.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(parsed.publicKey.cloudFingerprints()[.md5SPKI] == expected)
    #expect(try parsed.publicKey.subjectPublicKeyInfo() == Array(der.stdout))
  }

  @Test func compressedECPointIsReadAndStoredUncompressed() throws {
    let r = try KeyTestSupport.run([
      "openssl", "pkey", "-in", Fixtures.url("keys/openssl-ecdsa256-sec1.pem").path, "-pubout", "-ec_conv_form",
      "compressed",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let parsed = try KeyFile.parse(Array(r.stdout), passphrase: nil as SecureBytes?)
    let expect = try Expectation(file: "keys/openssl-ecdsa256-sec1.pem.expect")
    #expect(parsed.publicKey.openSSHLine(comment: "") == expect["public"])
  }

  @Test func truncatedPEMPublicKeyIsMalformed() throws {
    let pem = try Fixtures.text("keys/spki-rsa3072.pem")
    var lines = pem.split(separator: "\n").map(String.init)
    lines.remove(at: 3)  // drop a body line: the base64 stays valid, the DER inside is cut short
    let cut = Array((lines.joined(separator: "\n") + "\n").utf8)
    #expect(isMalformed(keyError { _ = try KeyFile.parse(cut, passphrase: nil as SecureBytes?) }))
    let noEnd = Array(pem.split(separator: "\n").dropLast().joined(separator: "\n").utf8)
    #expect(isMalformed(keyError { _ = try KeyFile.parse(noEnd, passphrase: nil as SecureBytes?) }))
  }

  @Test func garbledPEMPublicKeyIsMalformed() throws {
    var der = try Self.opensslPublic("openssl-ecdsa256-sec1.pem", format: "DER")
    // Flip a byte inside the algorithm OID, leaving the DER structure intact.
    der[8] ^= 0x55
    let garbled = Array(KeyTestSupport.pem("PUBLIC KEY", der).utf8)
    let error = keyError { _ = try KeyFile.parse(garbled, passphrase: nil as SecureBytes?) }
    #expect(isMalformed(error) || isUnsupported(error), "\(String(describing: error))")
    var badPoint = try Self.opensslPublic("openssl-ecdsa256-sec1.pem", format: "DER")
    badPoint[26] = 0x07  // the point's form byte (X9.62 §4.3.6): 0x07 is no valid encoding
    let garbledPoint = Array(KeyTestSupport.pem("PUBLIC KEY", badPoint).utf8)
    #expect(isMalformed(keyError { _ = try KeyFile.parse(garbledPoint, passphrase: nil as SecureBytes?) }))
    let notDER = Array(KeyTestSupport.pem("PUBLIC KEY", Array("not a public key".utf8)).utf8)
    #expect(isMalformed(keyError { _ = try KeyFile.parse(notDER, passphrase: nil as SecureBytes?) }))
    let badBase64 = Array("-----BEGIN PUBLIC KEY-----\n@@@@\n-----END PUBLIC KEY-----\n".utf8)
    #expect(isMalformed(keyError { _ = try KeyFile.parse(badBase64, passphrase: nil as SecureBytes?) }))
  }

  @Test func truncatedDERPublicKeyIsMalformed() throws {
    let der = try Self.opensslPublic("openssl-rsa2048-pkcs1.pem", format: "DER")
    let cut = Array(der.prefix(der.count - 20))
    #expect(isMalformed(keyError { _ = try KeyFile.parse(cut, passphrase: nil as SecureBytes?) }))
  }

  @Test func unknownAlgorithmIsUnsupportedByOID() throws {
    // SEQUENCE { SEQUENCE { OID 1.2.3.4 }, BIT STRING { 00 01 } }: well formed, no algorithm OpenSSL knows.
    let der: [UInt8] = [0x30, 0x0b, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x03, 0x02, 0x00, 0x01]
    let error = keyError { _ = try KeyFile.parse(der, passphrase: nil as SecureBytes?) }
    #expect(error == .unsupportedKeyType("public key algorithm 1.2.3.4"))
  }

  @Test func pkcs1RSAPublicKeyIsStillRefusedWithAHint() throws {
    let r = try KeyTestSupport.run([
      "openssl", "rsa", "-in", Fixtures.url("keys/openssl-rsa2048-pkcs1.pem").path, "-RSAPublicKey_out",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(isUnrecognized(keyError { _ = try KeyFile.parse(Array(r.stdout), passphrase: nil as SecureBytes?) }))
  }
}

func isUnsupported(_ e: KeyError?) -> Bool {
  if case .unsupportedKeyType = e { return true }
  return false
}
