import Foundation
import KeyholdCrypto
import SSHKeys
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct VaultCommandTests {
  @Test(arguments: [
    ("ed25519", nil as Int?, nil as String?), ("ecdsa", 256, nil), ("ecdsa", 384, nil), ("ecdsa", 521, nil),
    ("rsa", 2048, nil), ("rsa", 2048, "PEM"), ("ecdsa", 256, "PKCS8"),
  ])
  func everyKeyTypeRoundTripsThroughImportAndExport(type: String, bits: Int?, format: String?) throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let keyFile = try s.keygen("k", type: type, bits: bits, format: format)
    let imported = try s.run(["import", keyFile, "--name", "k"])
    #expect(imported.status == 0, "\(imported.stderr)")
    let pub = try String(contentsOfFile: keyFile + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
    let exportedPub = try s.run(["export", "k", "--public"])
    #expect(exportedPub.stdout.split(separator: " ").prefix(2) == pub)
    let exported = try s.run(["export", "k", "--yes"])
    #expect(exported.status == 0, "\(exported.stderr)")
    let out = s.dir.appendingPathComponent("exported").path
    try exported.stdoutBytes.write(to: URL(fileURLWithPath: out))
    chmod(out, 0o600)
    let derived = try CLIHarness.run(["-y", "-f", out], executable: URL(fileURLWithPath: "/usr/bin/ssh-keygen"))
    #expect(derived.status == 0, "\(derived.stderr)")
    #expect(derived.stdout.split(separator: " ").prefix(2) == pub)
  }

  @Test func listAndShowNeedNoPassphrase() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    #expect(try s.run(["import", try s.keygen("a", type: "ed25519"), "--name", "alpha"]).status == 0)
    let list = try s.run(["list"], passLines: ["not the passphrase"])
    #expect(list.status == 0)
    #expect(list.stdout.contains("alpha"))
    #expect(list.stdout.contains("ssh-ed25519"))
    #expect(list.stdout.contains("SHA256:"))
    let show = try s.run(["show", "alpha"], passLines: [])
    #expect(show.stdout.contains("name:"))
    #expect(show.stdout.contains("sha256-b64"))
  }

  @Test func aWrongPassphraseIsRefusedWithItsOwnMessage() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let r = try s.run(["import", try s.keygen("a", type: "ed25519")], passLines: ["wrong"])
    #expect(r.status == 1)
    #expect(r.stderr == "keyhold: error: incorrect vault passphrase\n")
    #expect(try s.listedKeys().isEmpty)
  }

  @Test func duplicatesAreRefusedUnlessForced() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a", type: "ed25519")
    #expect(try s.run(["import", a]).status == 0)
    let sameKey = try s.run(["import", a, "--name", "other"])
    #expect(sameKey.status == 1)
    #expect(sameKey.stderr.contains("already in the vault as \"a\""))
    let sameName = try s.run(["import", try s.keygen("b", type: "ed25519"), "--name", "a"])
    #expect(sameName.stderr.contains("a key named \"a\" is already in the vault"))
    #expect(try s.run(["import", a, "--name", "other", "--force"]).status == 0)
    #expect(try s.listedKeys().map { $0["name"] as? String } == ["other"])
  }

  @Test func shredRemovesTheSourceOnlyAfterASuccessfulImport() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a", type: "ed25519")
    let failed = try s.run(["import", a, "--shred"], passLines: ["wrong"])
    #expect(failed.status == 1)
    #expect(FileManager.default.fileExists(atPath: a))
    let ok = try s.run(["import", a, "--shred"])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(!FileManager.default.fileExists(atPath: a))
    #expect(try s.listedKeys().count == 1)
  }

  @Test func anEncryptedKeyFileTakesItsPassphraseFromTheSecondLine() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a", type: "ed25519", passphrase: "key secret")
    let r = try s.run(["import", a], passLines: [VaultSandbox.passphrase, "key secret"])
    #expect(r.status == 0, "\(r.stderr)")
    let wrong = try s.run(["import", a, "--name", "b", "--force"], passLines: [VaultSandbox.passphrase, "nope"])
    #expect(wrong.status == 1)
    #expect(wrong.stderr.contains("passphrase"))
  }

  @Test func anEncryptedKeyOnStandardInputNeverTakesItsPassphraseFromStandardInput() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a", type: "ed25519", passphrase: "key secret")
    let key = try Data(contentsOf: URL(fileURLWithPath: a))
    // Key passphrase on its own descriptor.
    let keyPass = s.dir.appendingPathComponent("keypass").path
    try "key secret\n".write(toFile: keyPass, atomically: true, encoding: .utf8)
    let ok = try s.run(
      ["import", "--name", "a", "--key-passphrase-fd", "4"], stdin: key, redirections: "4<'\(keyPass)'")
    #expect(ok.status == 0, "\(ok.stderr)")
    // Without a terminal the key passphrase cannot come from standard input, which carries the key.
    let fdZero = try s.run(["import", "--name", "b", "--key-passphrase-fd", "0"], stdin: key)
    #expect(fdZero.status != 0)
    #expect(fdZero.stderr.contains("standard input carries the key"))
    #expect(try s.listedKeys().map { $0["name"] as? String } == ["a"])
  }

  @Test(arguments: [
    "wrappers/euca-rsa.txt", "wrappers/euca-rsa-noblank.txt", "wrappers/aws-json-rsa.txt",
    "wrappers/aws-json-ed25519.txt",
  ])
  func cloudToolOutputOnStdinKeepsItsNameAndFingerprint(fixture: String) throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let expect = try VaultSandbox.expectations(fixture)
    let r = try s.run(
      ["import", "--cloud", "http://127.0.0.1:5000", "--region", "us-east-1"], stdin: try VaultSandbox.fixture(fixture))
    #expect(r.status == 0, "\(r.stderr)")
    let keys = try s.listedKeys()
    #expect(keys.count == 1)
    let key = try #require(keys.first)
    #expect(key["name"] as? String == expect["key-name"])
    #expect(key["type"] as? String == expect["type"])
    let binding = try #require((key["bindings"] as? [[String: Any]])?.first)
    #expect(binding["key_name"] as? String == expect["key-name"])
    #expect(binding["cloud_fingerprint"] as? String == expect["cloud-fingerprint"])
    #expect(binding["region"] as? String == "us-east-1")
    #expect(binding["cloud"] as? String == "http://127.0.0.1:5000")
    #expect((binding["key_pair_id"] as? String ?? "") == (expect["key-pair-id"] ?? ""))
    #expect(binding["flags"] as? [String] == ["created-by-cloud"])
    let computed = key["fingerprints"] as? [String: String] ?? [:]
    #expect(computed.values.contains(expect["cloud-fingerprint"] ?? "?"))
  }

  @Test func aKeyThatDoesNotMatchItsCloudFingerprintIsRefused() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    var text = String(decoding: try VaultSandbox.fixture("wrappers/euca-rsa.txt"), as: UTF8.self)
    let expect = try VaultSandbox.expectations("wrappers/euca-rsa.txt")
    let given = try #require(expect["cloud-fingerprint"])
    let wrong = "00" + given.dropFirst(2)
    text = text.replacingOccurrences(of: given, with: wrong)
    let r = try s.run(["import"], stdin: Data(text.utf8))
    #expect(r.status == 1)
    #expect(r.stderr.contains("does not match the fingerprint it came with: expected \(wrong), computed"))
    // The fixture came from moto, whose fingerprint for keys it makes is the sha1-spki formula.
    #expect(r.stderr.contains("sha1-spki \(given)"))
    #expect(try s.listedKeys().isEmpty)
  }

  @Test func removeRenameAndPasswdWork() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    #expect(try s.run(["import", try s.keygen("a", type: "ed25519")]).status == 0)
    #expect(try s.run(["import", try s.keygen("b", type: "ed25519")]).status == 0)
    #expect(try s.run(["rename", "a", "c"]).status == 0)
    #expect(try s.run(["remove", "b"]).status == 0)
    #expect(try s.listedKeys().map { $0["name"] as? String } == ["c"])
    #expect(try s.run(["passwd"], passLines: [VaultSandbox.passphrase, "second"]).status == 0)
    #expect(try s.run(["export", "c", "--yes"]).status == 1)
    #expect(try s.run(["export", "c", "--yes"], passLines: ["second"]).status == 0)
  }

  @Test func exportOfAPrivateKeyWithoutATerminalNeedsYes() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    #expect(try s.run(["import", try s.keygen("a", type: "ed25519")]).status == 0)
    let r = try s.run(["export", "a"], detached: true)
    #expect(r.status == 1)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("--yes"))
  }

  @Test func damagedVaultsGiveTheirOwnErrors() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    #expect(try s.run(["import", try s.keygen("a", type: "ed25519")]).status == 0)
    let original = try Data(contentsOf: URL(fileURLWithPath: s.vault))
    var attempt = 0
    func check(_ bytes: Data, _ message: String) throws {
      attempt += 1
      try bytes.write(to: URL(fileURLWithPath: s.vault))
      let r = try s.run(["list"])
      #expect(r.status == 1)
      #expect(r.stderr.hasPrefix("keyhold: error: \(message)"), "\(r.stderr)")
      // Nothing is written after a failed open.
      #expect(try s.run(["import", try s.keygen("x\(attempt)", type: "ed25519")]).status == 1)
      #expect(try Data(contentsOf: URL(fileURLWithPath: s.vault)) == bytes)
    }
    try check(original.prefix(original.count - 10), "vault file is truncated")
    var flipped = original
    flipped[flipped.count / 2] ^= 1
    try check(flipped, "vault file is corrupted")
    try check(Data("hello".utf8), "not a keyhold vault file")
    // An intact file (its checksum recomputed) of a later format version.
    var newer = [UInt8](original.prefix(original.count - 32))
    newer[11] = 3
    try check(Data(newer + Sodium.hash(newer)), "vault format version 3 is not supported")
  }

  @Test func aBusyVaultIsReported() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let fd = open(s.vault + ".lock", O_RDWR)
    #expect(flock(fd, LOCK_EX) == 0)
    defer { close(fd) }
    let r = try s.run(["remove", "x"], environment: ["KEYHOLD_LOCK_TIMEOUT": "0"])
    #expect(r.status == 1)
    let k = try s.run(["import", try s.keygen("a", type: "ed25519")], environment: ["KEYHOLD_LOCK_TIMEOUT": "0"])
    #expect(k.stderr.hasPrefix("keyhold: error: vault is busy"), "\(k.stderr)")
  }

  @Test func twoConcurrentImportersBothLand() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let files = try (0..<4).map { try s.keygen("c\($0)", type: "ed25519") }
    let statuses = ResultBox()
    DispatchQueue.concurrentPerform(iterations: files.count) { i in
      let r = try? s.run(["import", files[i]])
      statuses.add(r?.status ?? -1)
    }
    #expect(statuses.all == [0, 0, 0, 0])
    #expect(Set(try s.listedKeys().compactMap { $0["name"] as? String }) == ["c0", "c1", "c2", "c3"])
  }
}

final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Int32] = []
  func add(_ v: Int32) { lock.withLock { values.append(v) } }
  var all: [Int32] { lock.withLock { values } }
}
