import Foundation
import Testing

/// `keyhold fingerprint` run as a user would: the built binary, files from testdata/keys and testdata/wrappers.
@Suite struct FingerprintCommandTests {
  static let passphrase = "keyhold-test-passphrase"

  static func path(_ relative: String) -> String {
    CLIHarness.repoRoot.appendingPathComponent("testdata/\(relative)").path
  }

  static func expectation(_ relative: String) throws -> [String: String] {
    let text = try String(contentsOfFile: path(relative + ".expect"), encoding: .utf8)
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      fields[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
    }
    return fields
  }

  static func errorLines(_ stderr: String) -> [Substring] {
    stderr.split(separator: "\n").filter { $0.hasPrefix("keyhold: error:") }
  }

  static func halfOf(_ relative: String) throws -> Data {
    let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
    return data.prefix(data.count / 2)
  }

  struct Failure: Sendable, CustomTestStringConvertible {
    var name: String
    var arguments: [String]
    var stdin: Data
    var message: String
    var testDescription: String { name }
  }

  static let failures: [Failure] = [
    Failure(
      name: "wrong passphrase", arguments: ["--passphrase-fd", "0", path("keys/sshkeygen-ed25519-openssh-enc")],
      stdin: Data("not the passphrase\n".utf8), message: "incorrect passphrase"),
    Failure(
      name: "wrong passphrase, PKCS#8",
      arguments: ["--passphrase-fd", "0", path("keys/openssl-rsa2048-pkcs8-enc.pem")],
      stdin: Data("not the passphrase\n".utf8), message: "incorrect passphrase"),
    Failure(
      name: "ssh-dss PEM", arguments: [path("keys/refuse-dsa-pkcs8.pem")], stdin: Data(),
      message: "unsupported key type: ssh-dss"),
    Failure(
      name: "ssh-dss OpenSSH", arguments: [path("keys/refuse-dsa-openssh")], stdin: Data(),
      message: "unsupported key type: ssh-dss"),
    Failure(
      name: "ssh-dss public line", arguments: [path("keys/refuse-dsa.pub")], stdin: Data(),
      message: "unsupported key type: ssh-dss"),
    Failure(
      name: "security key", arguments: [path("keys/refuse-sk-ed25519.pub")], stdin: Data(),
      message: "unsupported key type: sk-ssh-ed25519@openssh.com"),
    Failure(
      name: "truncated PEM", arguments: ["-"], stdin: (try? halfOf("keys/sshkeygen-rsa2048-pem")) ?? Data(),
      message: "malformed key: truncated PEM"),
    Failure(
      name: "garbage", arguments: ["-"], stdin: Data("this is not a key\n".utf8),
      message: "not a key file keyhold can read"),
    Failure(name: "empty input", arguments: ["-"], stdin: Data(), message: "not a key file keyhold can read"),
    Failure(
      name: "missing file", arguments: ["/nonexistent/key"], stdin: Data(), message: "cannot read /nonexistent/key"),
  ]

  @Test(arguments: failures)
  func failuresExitOneWithExactlyOneErrorLine(failure: Failure) throws {
    let r = try CLIHarness.run(["fingerprint"] + failure.arguments, stdin: failure.stdin)
    #expect(r.status == 1)
    let errors = Self.errorLines(r.stderr)
    #expect(errors.count == 1, "stderr: \(r.stderr)")
    #expect(errors.first?.contains(failure.message) == true, "stderr: \(r.stderr)")
    #expect(r.stdout.isEmpty)
  }

  @Test func passphraseAndKeyCannotBothComeFromStandardInput() throws {
    let r = try CLIHarness.run(["fingerprint", "--passphrase-fd", "0", "-"], stdin: Data("x\n".utf8))
    #expect(r.status != 0)
    #expect(r.stderr.contains("standard input"))
    #expect(r.stdout.isEmpty)
  }

  @Test(arguments: [
    "sshkeygen-ed25519-openssh", "sshkeygen-ecdsa384-pem", "sshkeygen-rsa2048-pkcs8", "openssl-ed25519-pkcs8.pem",
    "openssl-rsa2048-pkcs1.der", "sshkeygen-rsa2048.pub", "sshkeygen-ed25519.rfc4716", "sshkeygen-ecdsa256-cert.pub",
    "spki-rsa3072.pem", "spki-rsa2048.der", "spki-ecdsa521.pem", "spki-ed25519.pem",
  ])
  func printsEveryFingerprintTheVectorExpects(name: String) throws {
    let expect = try Self.expectation("keys/\(name)")
    let r = try CLIHarness.run(["fingerprint", Self.path("keys/\(name)")])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    let lines = Set(
      r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        .map { $0.joined(separator: " ") })
    #expect(lines.contains("sha256: \(expect["sha256"]!)"), "\(r.stdout)")
    #expect(lines.contains("md5: \(expect["md5"]!)"), "\(r.stdout)")
    #expect(lines.contains("bits: \(expect["bits"]!)"), "\(r.stdout)")
    for kind in ["sha1-pkcs8", "md5-spki", "sha1-spki"] {
      if let v = expect[kind] { #expect(lines.contains("\(kind): \(v)"), "\(kind) in \(r.stdout)") }
    }
    if let v = expect["sha256-spki"] { #expect(lines.contains("sha256-spki-hex: \(v)"), "\(r.stdout)") }
  }

  @Test func encryptedKeyReadsItsPassphraseFromTheDescriptor() throws {
    let expect = try Self.expectation("keys/sshkeygen-rsa3072-openssh-enc")
    let r = try CLIHarness.run(
      ["fingerprint", "--json", "--passphrase-fd", "0", Self.path("keys/sshkeygen-rsa3072-openssh-enc")],
      stdin: Data("\(Self.passphrase)\n".utf8))
    #expect(r.status == 0, "stderr: \(r.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    #expect(object["type"] as? String == "ssh-rsa")
    #expect(object["bits"] as? Int == 3072)
    #expect(object["encrypted"] as? Bool == true)
    #expect(object["container"] as? String == "openssh")
    let prints = try #require(object["fingerprints"] as? [String: String])
    #expect(prints["sha256"] == expect["sha256"])
    #expect(prints["sha1-pkcs8"] == expect["sha1-pkcs8"])
  }

  @Test func awsOutputOnStandardInputShowsTheCloudFingerprintAndWhichFormulaMatches() throws {
    let stdin = try Data(contentsOf: URL(fileURLWithPath: Self.path("wrappers/aws-json-rsa.txt")))
    let expect = try Self.expectation("wrappers/aws-json-rsa.txt")
    let r = try CLIHarness.run(["fingerprint", "--json", "-"], stdin: stdin)
    #expect(r.status == 0, "stderr: \(r.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    let cloud = try #require(object["cloud"] as? [String: Any])
    #expect(cloud["wrapper"] as? String == "aws-json")
    #expect(cloud["key_name"] as? String == expect["key-name"])
    #expect(cloud["key_pair_id"] as? String == expect["key-pair-id"])
    #expect(cloud["fingerprint"] as? String == expect["cloud-fingerprint"])
    // moto fingerprints RSA key pairs it creates with SHA-1 of the SubjectPublicKeyInfo (keyhold-fingerprint(1)).
    #expect(cloud["matches"] as? [String] == ["sha1-spki"])
  }

  @Test func euca2oolsOutputOnStandardInputIsRead() throws {
    let stdin = try Data(contentsOf: URL(fileURLWithPath: Self.path("wrappers/euca-rsa.txt")))
    let r = try CLIHarness.run(["fingerprint", "-"], stdin: stdin)
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stdout.contains("wrapper:"))
    #expect(r.stdout.contains("euca-fixture"))
  }
}
