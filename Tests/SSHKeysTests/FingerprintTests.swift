import Foundation
import SSHWire
import Testing

@testable import SSHKeys

/// Fingerprints match the vectors in testdata/fingerprints (made by scripts/make-fingerprint-vectors.sh with
/// ssh-keygen and openssl) and ssh-keygen run live.
@Suite struct FingerprintTests {
  static let folder = KeyTestSupport.repoRoot.appendingPathComponent("testdata/fingerprints")
  static let keyNames = ["rsa-2048", "rsa-3072", "ecdsa-256", "ecdsa-384", "ecdsa-521", "ed25519"]

  /// The `kind: value` lines of an .expect file (comment lines skipped).
  static func expectations(_ name: String) throws -> [String: String] {
    let text = try String(contentsOf: folder.appendingPathComponent(name + ".expect"), encoding: .utf8)
    var out: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      out[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
    }
    return out
  }

  /// Parses an OpenSSH public line into a key.
  static func publicKey(line: String) throws -> PublicKey {
    let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
    let blob = try #require(Data(base64Encoded: String(fields[1]))).map { $0 }
    return try PublicKey(blob: blob)
  }

  @Test("vector files exist for every key type", arguments: keyNames)
  func vectorCoversEveryKind(name: String) throws {
    let expect = try FingerprintTests.expectations(name)
    for kind in CloudFingerprintKind.allCases { #expect(expect[kind.rawValue] != nil, "\(name) lacks \(kind)") }
  }

  @Test("every cloud fingerprint kind matches the openssl / ssh-keygen vector", arguments: keyNames)
  func cloudFingerprintsMatchVectors(name: String) throws {
    let expect = try FingerprintTests.expectations(name)
    let key = try KeyTestSupport.loadOpenSSHKey(FingerprintTests.folder.appendingPathComponent(name + ".openssh"))
    let fingerprints = key.cloudFingerprints()
    #expect(fingerprints.count == CloudFingerprintKind.allCases.count)
    for kind in CloudFingerprintKind.allCases {
      #expect(fingerprints[kind] == expect[kind.rawValue], "\(name) \(kind.rawValue)")
    }
    let publicOnly = key.publicKey.cloudFingerprints()
    #expect(publicOnly[.sha1PKCS8] == nil)
    #expect(publicOnly.count == CloudFingerprintKind.allCases.count - 1)
    for (kind, value) in publicOnly { #expect(fingerprints[kind] == value) }
  }

  @Test("OpenSSH fingerprints, type and size match ssh-keygen -l", arguments: keyNames)
  func openSSHFingerprintsMatchSSHKeygen(name: String) throws {
    let expect = try FingerprintTests.expectations(name)
    let line = try String(contentsOf: FingerprintTests.folder.appendingPathComponent(name + ".pub"), encoding: .utf8)
    let key = try FingerprintTests.publicKey(line: line)
    #expect(key.sha256Fingerprint == expect["ssh-sha256"])
    #expect(key.md5Fingerprint == expect["ssh-md5"])
    #expect(key.typeName == expect["type"])
    #expect(String(key.bits) == expect["bits"])
    #expect(!key.isCertificate)
  }

  @Test("PKCS#8 of an RSA key born as PKCS#1 keeps p and q in order (sha1-pkcs8 = the openssl pipeline)")
  func pkcs8KeepsPrimeOrder() throws {
    let key = try KeyTestSupport.loadOpenSSHKey(FingerprintTests.folder.appendingPathComponent("rsa-2048.openssh"))
    let dir = try KeyTestSupport.tempDir()
    let pem = dir.appendingPathComponent("k.pem")
    try Data(KeyTestSupport.pem("PRIVATE KEY", key.pkcs8DER().unsafeCopy()).utf8).write(to: pem)
    // Round-trip our PKCS#8 through openssl: the DER must come back byte-identical.
    let again = try KeyTestSupport.run(["openssl", "pkcs8", "-in", pem.path, "-nocrypt", "-topk8", "-outform", "DER"])
    #expect(again.status == 0)
    #expect(try Array(again.stdout) == key.pkcs8DER().unsafeCopy())
  }

  @Test("a certificate decodes, re-encodes identically and is fingerprinted as its plain key")
  func certificateVector() throws {
    let expect = try FingerprintTests.expectations("ed25519-cert")
    let line = try String(
      contentsOf: FingerprintTests.folder.appendingPathComponent("ed25519-cert.pub"), encoding: .utf8)
    let cert = try FingerprintTests.publicKey(line: line)
    #expect(cert.isCertificate)
    #expect(cert.typeName == expect["type"])
    #expect(String(cert.bits) == expect["bits"])
    #expect(cert.sha256Fingerprint == expect["ssh-sha256"])
    #expect(cert.md5Fingerprint == expect["ssh-md5"])
    #expect(cert.structure.encoded() == cert.blob)
    guard case .certificate(let c) = cert.structure else {
      Issue.record("not a certificate")
      return
    }
    #expect(String(c.serial) == expect["serial"])
    #expect(c.keyID == expect["key-id"])
    #expect(c.principals.joined(separator: ",") == expect["principals"])
    #expect(c.certType == PublicKeyBlob.Certificate.userType)
    #expect(c.extensionList.map(\.name).contains("permit-pty"))

    let key = try KeyTestSupport.loadOpenSSHKey(FingerprintTests.folder.appendingPathComponent("ed25519.openssh"))
    #expect(cert.plainKey == key.publicKey)
    let certified = try key.withCertificate(cert)
    #expect(certified.publicKey == cert)
    #expect(certified.plainPublicKey == key.publicKey)
    #expect(certified.cloudFingerprints() == key.cloudFingerprints())
    #expect(certified.signatureAlgorithm() == "ssh-ed25519")
  }

  @Test("fingerprints of fresh ssh-keygen keys equal ssh-keygen -l -E sha256 and -E md5")
  func liveSSHKeygenFingerprints() throws {
    let dir = try KeyTestSupport.tempDir()
    for (type, bits) in [("ed25519", nil), ("ecdsa", 384), ("rsa", 2048)] as [(String, Int?)] {
      let file = try KeyTestSupport.sshKeygen(type, bits: bits, in: dir, name: type)
      let pub = file.path + ".pub"
      let sha = try KeyTestSupport.run(["ssh-keygen", "-l", "-E", "sha256", "-f", pub]).text.split(separator: " ")
      let md5 = try KeyTestSupport.run(["ssh-keygen", "-l", "-E", "md5", "-f", pub]).text.split(separator: " ")
      let key = try KeyTestSupport.loadOpenSSHKey(file)
      #expect(key.publicKey.sha256Fingerprint == String(sha[1]))
      #expect(key.publicKey.md5Fingerprint == String(md5[1]))
      #expect(String(key.publicKey.bits) == String(sha[0]))
    }
  }
}
