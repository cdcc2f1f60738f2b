import Foundation
import KeyholdCrypto
import SSHWire
import Testing

@testable import SSHKeys

/// The passphrase every encrypted vector in testdata/keys uses (scripts/make-key-vectors.sh).
let vectorPassphrase = "keyhold-test-passphrase"

func secret(_ s: String) -> SecureBytes { SecureBytes(copying: Array(s.utf8)) }

/// Parses a vector with an optional passphrase, recording how often the passphrase was asked for.
final class PassphraseCounter: @unchecked Sendable {
  var calls = 0
  let value: String
  init(_ value: String) { self.value = value }
  func closure() -> () throws -> SecureBytes {
    { [self] in
      calls += 1
      return secret(value)
    }
  }
}

func keyError(_ body: () throws -> Void) -> KeyError? {
  do {
    try body()
    return nil
  } catch let e as KeyError {
    return e
  } catch {
    return .cryptoFailure("unexpected error type: \(error)")
  }
}

func isMalformed(_ e: KeyError?) -> Bool {
  if case .malformed = e { return true }
  return false
}

func isUnrecognized(_ e: KeyError?) -> Bool {
  if case .unrecognizedFormat = e { return true }
  return false
}

@Suite struct KeyFileTests {
  static let encryptedVectors = [
    "sshkeygen-ed25519-openssh-enc", "sshkeygen-ed25519-openssh-aes128-ctr", "sshkeygen-ed25519-openssh-aes192-ctr",
    "sshkeygen-ed25519-openssh-aes256-cbc", "sshkeygen-ed25519-openssh-aes128-gcm",
    "sshkeygen-ed25519-openssh-aes256-gcm", "sshkeygen-ed25519-openssh-chacha20-poly1305",
    "sshkeygen-rsa2048-pem-enc", "sshkeygen-ecdsa256-pkcs8-enc", "openssl-rsa2048-legacy-enc.pem",
    "openssl-ecdsa384-legacy-enc.pem", "openssl-rsa2048-pkcs8-enc.pem", "openssl-ed25519-pkcs8-enc.pem",
    "openssl-rsa2048-pkcs8-enc.der",
  ]

  @Test(arguments: encryptedVectors)
  func wrongPassphraseIsReportedAsSuch(name: String) throws {
    let data = try Fixtures.bytes("keys/\(name)")
    let error = keyError { _ = try KeyFile.parse(data, passphrase: { secret("not the passphrase") }) }
    #expect(error == .wrongPassphrase)
  }

  @Test(arguments: encryptedVectors)
  func encryptedKeyWithoutPassphraseSourceNeedsOne(name: String) throws {
    let data = try Fixtures.bytes("keys/\(name)")
    #expect(
      keyError { _ = try KeyFile.parse(data, passphrase: nil as (() throws -> SecureBytes)?) } == .passphraseRequired)
  }

  @Test func passphraseIsAskedForOnlyOnceAndOnlyWhenEncrypted() throws {
    for name in [
      "sshkeygen-ed25519-openssh", "sshkeygen-rsa2048-pem", "openssl-ecdsa256-sec1.pem",
      "openssl-rsa3072-pkcs8.der", "sshkeygen-ed25519.pub", "sshkeygen-rsa2048.rfc4716",
    ] {
      let counter = PassphraseCounter(vectorPassphrase)
      _ = try? KeyFile.parse(try Fixtures.bytes("keys/\(name)"), passphrase: counter.closure())
      #expect(counter.calls == 0, "\(name) asked for a passphrase")
    }
    for name in Self.encryptedVectors {
      let counter = PassphraseCounter("wrong passphrase")
      _ = try? KeyFile.parse(try Fixtures.bytes("keys/\(name)"), passphrase: counter.closure())
      #expect(counter.calls == 1, "\(name) asked \(counter.calls) times")
    }
  }

  @Test func errorFromThePassphraseSourceComesThroughUnchanged() throws {
    struct Cancelled: Error, Equatable {}
    for name in [
      "sshkeygen-ed25519-openssh-enc", "openssl-rsa2048-pkcs8-enc.pem", "openssl-rsa2048-legacy-enc.pem",
      "openssl-rsa2048-pkcs8-enc.der",
    ] {
      let data = try Fixtures.bytes("keys/\(name)")
      #expect(throws: Cancelled()) { _ = try KeyFile.parse(data, passphrase: { throw Cancelled() }) }
    }
  }

  @Test(arguments: [
    "sshkeygen-ed25519-openssh-enc", "sshkeygen-ed25519-openssh-aes128-ctr", "sshkeygen-ed25519-openssh-aes192-ctr",
    "sshkeygen-ed25519-openssh-aes256-cbc", "sshkeygen-ed25519-openssh-aes128-gcm",
    "sshkeygen-ed25519-openssh-aes256-gcm", "sshkeygen-ed25519-openssh-chacha20-poly1305",
    "sshkeygen-ecdsa256-openssh-rounds32", "sshkeygen-rsa3072-openssh-enc",
  ])
  func sshKeygenEncryptionOpensWithTheRightPassphrase(name: String) throws {
    let blocks = try PEMFile.blocks(try Fixtures.bytes("keys/\(name)"))
    let body = try #require(blocks.first?.body)
    let provider = PassphraseProvider { secret(vectorPassphrase) }
    let envelope = try OpenSSHKeyFile.open(binary: body, provider: provider, limits: .default)
    var r = SSHWire.SSHReader(envelope.plain)
    let check1 = try r.readUInt32()
    let check2 = try r.readUInt32()
    #expect(check1 == check2)
    // The private section starts with the same key type as the public blob.
    var p = SSHWire.SSHReader(envelope.publicBlob)
    #expect(try r.readString() == p.readString())
    // Padding 1, 2, 3, ... at the very end.
    let tailLength = Int(envelope.plain.last ?? 0)
    #expect(
      envelope.plain.suffix(tailLength) == ArraySlice((1...max(tailLength, 1)).map { UInt8($0) }.prefix(tailLength)))
  }

  @Test func bcryptRoundsAboveTheLimitAreRefusedBeforeAnyWork() throws {
    let data = try Fixtures.bytes("keys/sshkeygen-ecdsa256-openssh-rounds32")
    let counter = PassphraseCounter(vectorPassphrase)
    let limits = KeyFile.Limits(maxBcryptRounds: 16, maxInputBytes: 1 << 20)
    #expect(isMalformed(keyError { _ = try KeyFile.parse(data, passphrase: counter.closure(), limits: limits) }))
    #expect(counter.calls == 0)
  }

  @Test(arguments: [
    ("refuse-dsa-openssh", "ssh-dss"), ("refuse-dsa.pub", "ssh-dss"), ("refuse-dsa-pkcs8.pem", "ssh-dss"),
    ("refuse-dsa-traditional.pem", "ssh-dss"), ("refuse-sk-ed25519.pub", "sk-ssh-ed25519@openssh.com"),
    ("refuse-ed448-pkcs8.pem", "ED448"),
  ])
  func unsupportedKeyTypesAreNamed(name: String, type: String) throws {
    let data = try Fixtures.bytes("keys/\(name)")
    #expect(keyError { _ = try KeyFile.parse(data, passphrase: nil as SecureBytes?) } == .unsupportedKeyType(type))
  }

  @Test func securityKeyPrivateKeysAreRefusedByType() throws {
    // An OpenSSH file whose public blob is an sk-ecdsa key: refused from the header, without a passphrase.
    var pub = SSHWire.SSHWriter()
    pub.writeString("sk-ecdsa-sha2-nistp256@openssh.com")
    pub.writeString("nistp256")
    pub.writeString([UInt8](repeating: 4, count: 65))
    pub.writeString("ssh:")
    var w = SSHWire.SSHWriter()
    w.writeBytes(OpenSSHKeyFile.magic)
    w.writeString("none")
    w.writeString("none")
    w.writeString([UInt8]())
    w.writeUInt32(1)
    w.writeString(pub.bytes)
    w.writeString([UInt8](repeating: 0, count: 8))
    let file = Array(
      "-----BEGIN OPENSSH PRIVATE KEY-----\n\(Base64.encode(w.bytes))\n-----END OPENSSH PRIVATE KEY-----\n".utf8)
    #expect(
      keyError { _ = try KeyFile.parse(file, passphrase: nil as SecureBytes?) }
        == .unsupportedKeyType("sk-ecdsa-sha2-nistp256@openssh.com"))
  }

  @Test(arguments: [
    "sshkeygen-rsa2048-pem", "sshkeygen-ed25519-openssh", "openssl-ecdsa256-pkcs8.pem", "openssl-rsa2048-pkcs8-enc.pem",
  ])
  func truncatedPEMIsMalformed(name: String) throws {
    let data = try Fixtures.bytes("keys/\(name)")
    for cut in [data.count / 2, data.count - 10, 40] {
      let error = keyError { _ = try KeyFile.parse(Array(data[..<cut]), passphrase: { secret(vectorPassphrase) }) }
      #expect(isMalformed(error), "\(name) cut at \(cut): \(String(describing: error))")
    }
  }

  @Test func badBase64InPEMIsMalformed() throws {
    var text = try Fixtures.text("keys/sshkeygen-rsa2048-pem")
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    var changed = lines.map(String.init)
    changed[3] = "!!!!" + changed[3].dropFirst(4)
    text = changed.joined(separator: "\n")
    #expect(isMalformed(keyError { _ = try KeyFile.parse(Array(text.utf8), passphrase: nil as SecureBytes?) }))
    let missingEnd = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n"
    #expect(isMalformed(keyError { _ = try KeyFile.parse(Array(missingEnd.utf8), passphrase: nil as SecureBytes?) }))
  }

  @Test(arguments: [
    "", "hello world\n", "\u{0}\u{1}\u{2}\u{3}", "{\"KeyName\": \"x\"}", "[1, 2]", "{not json",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "ssh-dsa-nope", "#!/bin/sh\necho hi\n",
  ])
  func garbageIsNotAKeyFile(text: String) {
    let error = keyError { _ = try KeyFile.parse(Array(text.utf8), passphrase: nil as SecureBytes?) }
    #expect(isUnrecognized(error), "\(text.debugDescription): \(String(describing: error))")
  }

  @Test func publicKeyLineWithBadBase64IsMalformed() {
    let line = "ssh-ed25519 AAAA!!!C3NzaC1lZDI1NTE5 comment\n"
    #expect(isMalformed(keyError { _ = try KeyFile.parse(Array(line.utf8), passphrase: nil as SecureBytes?) }))
  }

  @Test func publicKeyLineWhoseBlobDisagreesWithItsTypeIsMalformed() throws {
    let line = try Fixtures.text("keys/sshkeygen-ed25519.pub").replacingOccurrences(of: "ssh-ed25519", with: "ssh-rsa")
    #expect(isMalformed(keyError { _ = try KeyFile.parse(Array(line.utf8), passphrase: nil as SecureBytes?) }))
  }

  @Test func wrappersYieldTheCloudMetadataRecordedFromTheRealTools() throws {
    let names = try Fixtures.list("wrappers").filter { $0.hasSuffix(".txt") }
    #expect(names.count >= 5)
    for name in names {
      let expect = try Expectation(file: "wrappers/\(name).expect")
      let data = try Fixtures.bytes("wrappers/\(name)")
      let unwrapped = try #require(try KeyFileWrappers.unwrap(data, text: TextScan(data)), "\(name) not unwrapped")
      #expect(unwrapped.wrapper.rawValue == expect["wrapper"], "\(name)")
      #expect(unwrapped.keyName == expect["key-name"], "\(name)")
      #expect(unwrapped.fingerprint == expect["cloud-fingerprint"], "\(name)")
      #expect((unwrapped.keyPairID ?? "") == expect["key-pair-id"], "\(name)")
      let inner = try PEMFile.blocks(unwrapped.material)
      #expect(inner.count == 1, "\(name)")
    }
  }

  @Test func brokenWrappersAreMalformed() {
    for text in ["KEYPAIR\tonly-a-name\n-----BEGIN RSA PRIVATE KEY-----\n", "KEYPAIR\tname\tfp\n"] {
      #expect(
        isMalformed(keyError { _ = try KeyFile.parse(Array(text.utf8), passphrase: nil as SecureBytes?) }), "\(text)")
    }
  }
}

/// A `.expect` sidecar: `field: value` lines.
struct Expectation {
  var fields: [String: String] = [:]

  init(file: String) throws {
    for line in try Fixtures.text(file).split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let value = line[line.index(after: colon)...].drop { $0 == " " }
      fields[String(line[..<colon])] = String(value)
    }
  }

  subscript(_ key: String) -> String? { fields[key] }
}
