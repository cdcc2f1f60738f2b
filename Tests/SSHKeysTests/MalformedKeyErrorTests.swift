import Foundation
import KeyholdCrypto
import Testing

@testable import SSHKeys

/// A damaged unencrypted key must be reported as malformed, never as an unsupported encryption algorithm.
struct MalformedKeyErrorTests {
  /// Wraps DER bytes in PEM armour under `label`.
  static func pem(_ label: String, _ der: [UInt8]) -> [UInt8] {
    Array("-----BEGIN \(label)-----\n\(Data(der).base64EncodedString())\n-----END \(label)-----\n".utf8)
  }

  /// SEQUENCE { INTEGER 1, OCTET STRING (4 bytes) }: an ECPrivateKey (RFC 5915) far too short to be a key.
  static let shortSEC1: [UInt8] = [0x30, 0x09, 0x02, 0x01, 0x01, 0x04, 0x04, 0xde, 0xad, 0xbe, 0xef]
  /// SEQUENCE { INTEGER 0, INTEGER 5 }: an RSAPrivateKey (RFC 8017 A.1.2) with most fields missing.
  static let shortPKCS1: [UInt8] = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x05]

  static func error(_ data: [UInt8]) -> KeyError? {
    do {
      _ = try KeyFile.parse(data, passphrase: SecureBytes?.none)
      return nil
    } catch {
      return error
    }
  }

  static func isMalformed(_ e: KeyError?) -> Bool {
    if case .malformed = e { return true }
    return false
  }

  @Test func aDamagedSEC1PEMKeyIsMalformedNotUnsupportedEncryption() {
    let e = Self.error(Self.pem("EC PRIVATE KEY", Self.shortSEC1))
    #expect(Self.isMalformed(e), "\(String(describing: e))")
    #expect(e?.description.contains("EC private key") == true)
    #expect(e?.description.contains("encryption") == false)
  }

  @Test func aDamagedPKCS1PEMKeyIsMalformed() {
    let e = Self.error(Self.pem("RSA PRIVATE KEY", Self.shortPKCS1))
    #expect(Self.isMalformed(e), "\(String(describing: e))")
    #expect(e?.description.contains("RSA private key") == true)
  }

  @Test func aDamagedPKCS8PEMKeyIsMalformed() {
    let e = Self.error(Self.pem("PRIVATE KEY", Self.shortSEC1))
    #expect(Self.isMalformed(e), "\(String(describing: e))")
    #expect(e?.description.contains("not available in OpenSSL") == false)
  }

  @Test("damaged unencrypted DER is malformed", arguments: [shortSEC1, shortPKCS1])
  func aDamagedDERKeyIsMalformed(der: [UInt8]) {
    let e = Self.error(der)
    #expect(Self.isMalformed(e), "\(String(describing: e))")
    #expect(e?.description.contains("encryption") == false)
  }
}
