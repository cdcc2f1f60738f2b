import Foundation
import KeyholdCrypto
import TestSupport
import Testing

@testable import SSHKeys

/// Every vector in testdata/keys (scripts/make-key-vectors.sh) checked against its `.expect` sidecar.
@Suite struct KeyVectorTests {
  static func vectorNames() -> [String] {
    ((try? Fixtures.list("keys")) ?? []).filter { !$0.hasSuffix(".expect") }
  }

  static func parse(_ name: String, expect: Expectation) throws -> ParsedKeyFile {
    let data = try Fixtures.bytes("keys/\(name)")
    let pass = expect["passphrase"]
    return try KeyFile.parse(
      data,
      passphrase: {
        guard let pass else { throw KeyError.cryptoFailure("passphrase asked for an unencrypted vector") }
        return secret(pass)
      })
  }

  @Test func thereAreVectorsForEveryContainer() throws {
    var containers = Set<String>()
    for name in Self.vectorNames() {
      if let c = try Expectation(file: "keys/\(name).expect")["container"] { containers.insert(c) }
    }
    #expect(containers == Set(KeyContainer.allCases.map(\.rawValue)))
  }

  @Test(arguments: vectorNames())
  func vectorMeetsItsExpectation(name: String) throws {
    let expect = try Expectation(file: "keys/\(name).expect")
    if let error = expect["error"] {
      let thrown = keyError { _ = try Self.parse(name, expect: expect) }
      switch error {
      case "unsupported-key-type": #expect(thrown == .unsupportedKeyType(expect["detail"] ?? ""), "\(name)")
      case "unsupported-cipher": #expect(thrown == .unsupportedCipher(expect["detail"] ?? ""), "\(name)")
      default: Issue.record("unknown expected error \(error) in \(name).expect")
      }
      return
    }
    let parsed = try Self.parse(name, expect: expect)
    #expect(parsed.container.rawValue == expect["container"])
    #expect(parsed.wasEncrypted == (expect["encrypted"] == "yes"))
    #expect((parsed.privateKey != nil) == (expect["private"] == "yes"))
    #expect(parsed.comment == expect["comment"])
    #expect(parsed.wrapper == .none)
    let pub = parsed.publicKey
    #expect(pub.algorithm.rawValue == expect["type"])
    #expect(pub.isCertificate == (expect["certificate"] == "yes"))
    #expect(String(pub.bits) == expect["bits"])
    #expect(pub.sha256Fingerprint == expect["sha256"])
    #expect(pub.md5Fingerprint == expect["md5"])
    #expect(pub.openSSHLine(comment: "").trimmingCharacters(in: .whitespaces) == expect["public"])
    if let key = parsed.privateKey { #expect(key.comment == parsed.comment) }

    let prints = parsed.privateKey?.cloudFingerprints() ?? pub.cloudFingerprints()
    let md5 = try #require(expect["md5"])
    let sha256 = try #require(expect["sha256"])
    #expect(prints[.md5SSH] == String(md5.dropFirst("MD5:".count)))
    #expect(prints[.sha256B64] == Self.padded(String(sha256.dropFirst("SHA256:".count))))
    let kinds: [(String, CloudFingerprintKind)] = [
      ("sha1-pkcs8", .sha1PKCS8), ("md5-spki", .md5SPKI), ("sha1-spki", .sha1SPKI), ("sha256-spki", .sha256SPKIHex),
    ]
    for (field, kind) in kinds {
      if let value = expect[field] { #expect(prints[kind] == value, "\(name) \(field)") }
    }
  }

  static func padded(_ b64: String) -> String {
    b64 + String(repeating: "=", count: (4 - b64.count % 4) % 4)
  }

  @Test(arguments: vectorNames().filter { !$0.hasPrefix("refuse-") })
  func privateKeysSurviveAnOpenSSHRoundTrip(name: String) throws {
    let expect = try Expectation(file: "keys/\(name).expect")
    let parsed = try Self.parse(name, expect: expect)
    guard let key = parsed.privateKey else { return }
    let file = try KeyFile.openSSHPrivateKeyFile(key, comment: "round trip")
    let again = try KeyFile.parse(file.unsafeCopy(), passphrase: nil as SecureBytes?)
    #expect(again.publicKey == key.plainPublicKey)
    #expect(again.comment == "round trip")
    #expect(again.container == .openSSH)
    #expect(!again.wasEncrypted)
    #expect(again.privateKey?.cloudFingerprints() == key.cloudFingerprints())
  }

  @Test(arguments: [
    "aes256-ctr", "aes128-ctr", "aes256-cbc", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
  ])
  func encryptedWritingOpensWithThePassphraseOnly(cipher: String) throws {
    let parsed = try Self.parse(
      "sshkeygen-ecdsa256-openssh", expect: Expectation(file: "keys/sshkeygen-ecdsa256-openssh.expect"))
    let key = try #require(parsed.privateKey)
    let file = try KeyFile.openSSHPrivateKeyFile(key, passphrase: secret("sesame"), rounds: 2, cipher: cipher)
    let again = try KeyFile.parse(file.unsafeCopy(), passphrase: secret("sesame"))
    #expect(again.publicKey == key.plainPublicKey)
    #expect(again.wasEncrypted)
    #expect(keyError { _ = try KeyFile.parse(file.unsafeCopy(), passphrase: secret("sesam")) } == .wrongPassphrase)
  }

  /// ssh-keygen must read what keyhold writes: `ssh-keygen -y` prints the same public key.
  @Test(arguments: [
    "sshkeygen-ed25519-openssh", "openssl-rsa2048-pkcs1.pem", "openssl-ecdsa521-sec1.pem",
    "openssl-ed25519-pkcs8.pem",
  ])
  func sshKeygenReadsWhatKeyholdWrites(name: String) throws {
    let expect = try Expectation(file: "keys/\(name).expect")
    let key = try #require(try Self.parse(name, expect: expect).privateKey)
    let dir = try KeyTestSupport.tempDir()
    defer { TemporaryTree.remove(dir.path) }
    for (file, passphrase) in [("plain", nil), ("sealed", "sesame phrase")] as [(String, String?)] {
      let path = dir.appendingPathComponent(file).path
      let text = try KeyFile.openSSHPrivateKeyFile(key, comment: "written", passphrase: passphrase.map(secret))
      _ = FileManager.default.createFile(
        atPath: path, contents: Data(text.unsafeCopy()), attributes: [.posixPermissions: 0o600])
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
      p.arguments = ["-y", "-P", passphrase ?? "", "-f", path]
      let out = Pipe()
      p.standardOutput = out
      p.standardError = FileHandle.nullDevice
      try p.run()
      let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(p.terminationStatus == 0, "\(name) \(file)")
      #expect(printed.hasPrefix(try #require(expect["public"])), "\(name) \(file): \(printed)")
    }
  }

  @Test(arguments: ((try? Fixtures.list("wrappers")) ?? []).filter { !$0.hasSuffix(".expect") })
  func wrappedKeysParseWithTheirCloudMetadata(name: String) throws {
    let expect = try Expectation(file: "wrappers/\(name).expect")
    let parsed = try KeyFile.parse(try Fixtures.bytes("wrappers/\(name)"), passphrase: nil as SecureBytes?)
    #expect(parsed.wrapper.rawValue == expect["wrapper"])
    #expect(parsed.cloudKeyName == expect["key-name"])
    #expect(parsed.cloudFingerprint == expect["cloud-fingerprint"])
    #expect((parsed.keyPairID ?? "") == expect["key-pair-id"])
    #expect(parsed.publicKey.algorithm.rawValue == expect["type"])
    let key = try #require(parsed.privateKey)
    // moto's formula (keyhold-fingerprint(1)): sha1-spki for RSA, sha256-spki-hex for Ed25519.
    let prints = key.cloudFingerprints()
    #expect(prints.values.contains(try #require(parsed.cloudFingerprint)), "\(name): \(prints)")
  }
}
