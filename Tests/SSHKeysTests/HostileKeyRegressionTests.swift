import Foundation
import KeyholdCrypto
import SSHWire
import Testing

@testable import SSHKeys

/// Regressions for inputs that once made the key parsers hang, grind, or leave secrets behind. Each test is named
/// after what the input used to do.
struct HostileKeyRegressionTests {
  // MARK: - DER building blocks (X.690 §8.1)

  static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [tag]
    if content.count < 0x80 {
      out.append(UInt8(content.count))
    } else if content.count < 0x100 {
      out += [0x81, UInt8(content.count)]
    } else {
      out += [0x82, UInt8(content.count >> 8), UInt8(content.count & 0xff)]
    }
    return out + content
  }

  static func integer(_ v: UInt64) -> [UInt8] {
    var bytes = withUnsafeBytes(of: v.bigEndian, Array.init)
    while bytes.count > 1, bytes[0] == 0, bytes[1] & 0x80 == 0 { bytes.removeFirst() }
    if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
    return tlv(0x02, bytes)
  }

  static func seq(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }
  static let pbes2OID = tlv(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d])
  static let pbkdf2OID = tlv(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c])
  static let hmacSHA256OID = tlv(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09])
  static let aes256CBCOID = tlv(0x06, [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a])
  static let scryptOID = tlv(0x06, PKCS8KDFLimit.scryptOID)

  /// An `EncryptedPrivateKeyInfo` (RFC 5958 §3) under PBES2 with the given key-derivation function.
  static func encryptedPKCS8(kdf: [UInt8]) -> [UInt8] {
    let cipher = seq(aes256CBCOID, tlv(0x04, [UInt8](repeating: 7, count: 16)))
    let algorithm = seq(pbes2OID, seq(kdf, cipher))
    return seq(algorithm, tlv(0x04, [UInt8](repeating: 0x5a, count: 48)))
  }

  static func pbkdf2(iterations: UInt64) -> [UInt8] {
    seq(pbkdf2OID, seq(tlv(0x04, [UInt8](repeating: 1, count: 8)), integer(iterations), seq(hmacSHA256OID, [5, 0])))
  }

  static func pem(_ label: String, _ der: [UInt8]) -> [UInt8] {
    Array("-----BEGIN \(label)-----\n\(Base64.encode(der))\n-----END \(label)-----\n".utf8)
  }

  /// Parses with a passphrase source that records whether it was asked.
  static func parse(_ input: [UInt8]) -> (error: KeyError?, asked: Bool) {
    nonisolated(unsafe) var asked = false
    do {
      _ = try KeyFile.parse(input) {
        asked = true
        return SecureBytes(copying: Array("pw".utf8))
      }
      return (nil, asked)
    } catch let e as KeyError {
      return (e, asked)
    } catch {
      return (.cryptoFailure("\(error)"), asked)
    }
  }

  static func isMalformed(_ e: KeyError?, mentioning word: String) -> Bool {
    if case .malformed(let why)? = e { return why.contains(word) }
    return false
  }

  // MARK: - Encrypted PKCS#8 work bombs

  /// OpenSSL runs whatever PBKDF2 count the file names; 2^31 - 1 iterations kept one decode busy for hours.
  @Test func encryptedPKCS8WithTwoBillionPBKDF2IterationsNoLongerHangs() {
    let der = Self.encryptedPKCS8(kdf: Self.pbkdf2(iterations: 0x7fff_ffff))
    for input in [Self.pem("ENCRYPTED PRIVATE KEY", der), der] {
      let (error, asked) = Self.parse(input)
      #expect(Self.isMalformed(error, mentioning: "2147483647 iterations"), "\(String(describing: error))")
      #expect(!asked, "the passphrase is not needed to refuse the file")
    }
  }

  /// An iteration count wider than 64 bits is refused too (not wrapped around to a small number).
  @Test func encryptedPKCS8WithOverlongIterationCountIsRefused() {
    let huge = Self.tlv(0x02, [0x01] + [UInt8](repeating: 0, count: 12))
    let kdf = Self.seq(Self.pbkdf2OID, Self.seq(Self.tlv(0x04, [1, 2, 3, 4]), huge))
    let (error, _) = Self.parse(Self.encryptedPKCS8(kdf: kdf))
    #expect(Self.isMalformed(error, mentioning: "over 2^64"), "\(String(describing: error))")
  }

  /// scrypt with p = 2^20 stays within OpenSSL's 32 MiB memory cap but costs N·r·p block mixes.
  @Test func encryptedPKCS8WithScryptParallelismBombIsRefused() {
    let kdf = Self.seq(
      Self.scryptOID,
      Self.seq(
        Self.tlv(0x04, [UInt8](repeating: 2, count: 8)), Self.integer(1 << 14), Self.integer(8),
        Self.integer(1 << 20)))
    let (error, asked) = Self.parse(Self.encryptedPKCS8(kdf: kdf))
    #expect(Self.isMalformed(error, mentioning: "scrypt cost"), "\(String(describing: error))")
    #expect(!asked)
  }

  /// The limit is a parameter: a caller may lower it, and a modest count under it reaches OpenSSL (which then
  /// fails on the made-up ciphertext as a wrong passphrase, after asking for one).
  @Test func pkcs8IterationLimitIsTheCallersChoice() throws {
    let der = Self.encryptedPKCS8(kdf: Self.pbkdf2(iterations: 5000))
    let strict = KeyFile.Limits(maxBcryptRounds: 16, maxInputBytes: 1 << 16, maxPKCS8Iterations: 4096)
    #expect(throws: KeyError.self) { try KeyFile.parse(der, passphrase: SecureBytes(copying: [1]), limits: strict) }
    do {
      _ = try KeyFile.parse(der, passphrase: SecureBytes(copying: [1]), limits: strict)
    } catch {
      #expect(Self.isMalformed(error, mentioning: "at most 4096"))
    }
    let (error, asked) = Self.parse(der)
    #expect(asked)
    #expect(error == .wrongPassphrase, "\(String(describing: error))")
  }

  // MARK: - Oversized private components

  static let rsaKey: PrivateKey = try! PrivateKey.generate(.rsa, bits: 2048)

  static func rsaWire(replacingP pField: [UInt8]) -> [UInt8] {
    guard case .rsa(let e, let n) = rsaKey.plainPublicKey.structure else { return [] }
    var w = SSHWriter()
    w.writeString("ssh-rsa")
    w.writePositiveMPInt(n)
    w.writePositiveMPInt(e)
    w.writePositiveMPInt([0x42] + [UInt8](repeating: 0x11, count: 255))  // d
    w.writePositiveMPInt([0x01, 0x02])  // iqmp
    w.writePositiveMPInt(pField)  // p
    w.writePositiveMPInt([0x03, 0x05])  // q
    return w.bytes
  }

  /// A private wire form with a 256 KiB "prime" made the consistency check multiply and reduce megabit numbers.
  @Test func rsaPrivateWireWithQuarterMegabytePrimeIsRefusedBeforeArithmetic() {
    var reader = SSHReader(Self.rsaWire(replacingP: [0x7f] + [UInt8](repeating: 0xff, count: 256 * 1024)))
    #expect {
      _ = try PrivateKey.decodeWire(&reader)
    } throws: { error in
      Self.isMalformed(error as? KeyError, mentioning: "longer than the modulus")
    }
  }

  @Test func rsaPrivateWireWithZeroPrimeIsRefused() {
    var reader = SSHReader(Self.rsaWire(replacingP: []))
    #expect {
      _ = try PrivateKey.decodeWire(&reader)
    } throws: { error in
      Self.isMalformed(error as? KeyError, mentioning: "zero")
    }
  }

  @Test func ecdsaPrivateWireWithOversizedScalarIsRefused() throws {
    let key = try PrivateKey.generate(.ecdsaP256)
    guard case .ecdsa(_, let point) = key.plainPublicKey.structure else { throw KeyError.malformed("not ecdsa") }
    var w = SSHWriter()
    w.writeString("ecdsa-sha2-nistp256")
    w.writeString("nistp256")
    w.writeString(point)
    w.writePositiveMPInt([UInt8](repeating: 0x33, count: 4096))
    var reader = SSHReader(w.bytes)
    #expect {
      _ = try PrivateKey.decodeWire(&reader)
    } throws: { error in
      Self.isMalformed(error as? KeyError, mentioning: "longer than the curve order")
    }
  }

  // MARK: - Secret text built in place

  /// The unencrypted OpenSSH file is now assembled in guarded memory; the String form is the same text and both
  /// read back as the same key.
  @Test func unencryptedOpenSSHFileFromGuardedMemoryMatchesTheStringForm() throws {
    let key = try PrivateKey.generate(.ed25519, comment: "hygiene")
    let text = key.openSSHPrivateKeyFile()
    let guarded = try KeyFile.openSSHPrivateKeyFile(key)
    let lines = text.split(separator: "\n")
    #expect(lines.first == "-----BEGIN OPENSSH PRIVATE KEY-----")
    #expect(lines.last == "-----END OPENSSH PRIVATE KEY-----")
    #expect(lines.dropFirst().dropLast().allSatisfy { $0.count <= 70 })
    let a = try KeyFile.parse(Array(text.utf8), passphrase: nil as SecureBytes?)
    let b = try KeyFile.parse(guarded.unsafeCopy(), passphrase: nil as SecureBytes?)
    #expect(a.privateKey?.plainPublicKey == key.plainPublicKey)
    #expect(b.privateKey?.plainPublicKey == key.plainPublicKey)
    #expect(b.comment == "hygiene")
  }
}
