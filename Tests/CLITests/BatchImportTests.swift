import Foundation
import Testing

/// `keyhold import` with several keys: one passphrase, one vault write, all or nothing (keyhold-import(1)).
@Suite struct BatchImportTests {
  static let wrappers = ["euca-rsa.txt", "aws-json-ed25519.txt", "aws-json-rsa.txt", "aws-text-rsa.txt"]

  @Test func severalFilesAreImportedWithOnePassphrase() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("alpha", type: "ed25519")
    let b = try s.keygen("beta", type: "ecdsa")
    let c = try s.keygen("gamma", type: "rsa", bits: 2048, format: "PEM")
    // Descriptor 3 holds the vault passphrase once: a second prompt would read end of file and fail.
    let r = try s.run(["import", a, b, c], passLines: [VaultSandbox.passphrase])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("imported alpha (ssh-ed25519, SHA256:"))
    #expect(lines[1].hasPrefix("imported beta (ecdsa-sha2-nistp256, SHA256:"))
    #expect(lines[2].hasPrefix("imported gamma (ssh-rsa, SHA256:"))
    #expect(Set(try s.listedKeys().compactMap { $0["name"] as? String }) == ["alpha", "beta", "gamma"])
  }

  @Test func concatenatedCloudToolOutputsOnStandardInputAreEachImported() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    var stdin = Data()
    var names: [String] = []
    for w in Self.wrappers {
      stdin += try VaultSandbox.fixture("wrappers/" + w)
      if stdin.last != UInt8(ascii: "\n") { stdin += Data("\n".utf8) }
      names.append(try #require(try VaultSandbox.expectations("wrappers/" + w)["key-name"]))
    }
    let r = try s.run(["import"], stdin: stdin)
    #expect(r.status == 0, "\(r.stderr)")
    let imported = r.stdout.split(separator: "\n").map { $0.split(separator: " ")[1] }.map(String.init)
    #expect(imported == names)
    let keys = try s.listedKeys()
    #expect(Set(keys.compactMap { $0["name"] as? String }) == Set(names))
    for key in keys {
      let binding = try #require((key["bindings"] as? [[String: Any]])?.first)
      #expect(binding["flags"] as? [String] == ["created-by-cloud"])
    }
  }

  @Test func regionlessCloudOutputRecordsAnUnknownRegionAndSaysSo() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let r = try s.run(["import"], stdin: try VaultSandbox.fixture("wrappers/euca-rsa.txt"))
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("keyhold: note: the region of key pair euca-fixture is unknown"))
    #expect(r.stderr.contains("keyhold sync"))
    let key = try #require(try s.listedKeys().first)
    let binding = try #require((key["bindings"] as? [[String: Any]])?.first)
    #expect(binding["region"] is NSNull)
  }

  @Test func aGivenRegionNeedsNoNote() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let r = try s.run(["import", "--region", "eu-west-1"], stdin: try VaultSandbox.fixture("wrappers/euca-rsa.txt"))
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("note:"))
  }

  @Test func oneBadKeyStoresNothingAndEveryFailureIsNamed() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let good = try s.keygen("good", type: "ed25519")
    let garbage = s.dir.appendingPathComponent("garbage.pem").path
    try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: garbage))
    let missing = s.dir.appendingPathComponent("missing.pem").path
    let r = try s.run(["import", good, garbage, missing])
    #expect(r.status == 1)
    #expect(r.stdout.contains("failed \(garbage): "))
    #expect(r.stdout.contains("failed \(missing): "))
    #expect(!r.stdout.contains("imported"))
    #expect(r.stderr.contains("keyhold: error: 2 of 3 keys could not be imported; nothing was stored"))
    #expect(try s.listedKeys().isEmpty)
  }

  @Test func twoKeysTakingOneNameFailTheBatch() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let euca = try VaultSandbox.fixture("wrappers/euca-rsa.txt")
    let r = try s.run(["import"], stdin: euca + Data("\n".utf8) + euca)
    #expect(r.status == 1)
    #expect(r.stdout.contains("failed standard input, key 2: the name euca-fixture is already taken"))
    #expect(try s.listedKeys().isEmpty)
  }

  @Test func nameWithSeveralKeysIsRefused() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a1", type: "ed25519")
    let b = try s.keygen("b1", type: "ed25519")
    let r = try s.run(["import", "--name", "x", a, b])
    #expect(r.status == 1)
    #expect(r.stderr.contains("--name names one key"))
    #expect(try s.listedKeys().isEmpty)
  }

  @Test func shredRefusesASymlinkBeforeStoringAnything() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let real = try s.keygen("real", type: "ed25519")
    let other = try s.keygen("other", type: "ed25519")
    let link = s.dir.appendingPathComponent("link.pem").path
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
    let r = try s.run(["import", "--shred", other, link])
    #expect(r.status == 1)
    #expect(r.stderr.contains("keyhold: error: cannot shred \(link): it is a symbolic link"))
    #expect(try s.listedKeys().isEmpty)
    #expect(FileManager.default.fileExists(atPath: real) && FileManager.default.fileExists(atPath: other))
  }

  @Test func shredRefusesWhatIsNotARegularFile() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let r = try s.run(["import", "--shred", "/dev/null"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("cannot shred /dev/null: not a regular file"))
    #expect(try s.listedKeys().isEmpty)
  }

  @Test func shredRefusesAFileInAFolderItCannotWrite() throws {
    // Root may write anywhere; the permission check can only be seen failing as another user.
    guard getuid() != 0 else { return }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let key = try s.keygen("ro", type: "ed25519")
    try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: key)
    let r = try s.run(["import", "--shred", key])
    #expect(r.status == 1)
    #expect(r.stderr.contains("no write permission"))
  }

  @Test func shredRefusesStandardInput() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let r = try s.run(["import", "--shred"], stdin: try VaultSandbox.fixture("wrappers/euca-rsa.txt"))
    #expect(r.status == 2)
    #expect(r.stderr.contains("--shred needs a FILE"))
    #expect(try s.listedKeys().isEmpty)
  }

  @Test func shredRemovesEveryFileOnceTheBatchIsStored() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("s1", type: "ed25519")
    let b = try s.keygen("s2", type: "ed25519")
    let r = try s.run(["import", "--shred", a, b])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: a) && !FileManager.default.fileExists(atPath: b))
    #expect(try s.listedKeys().count == 2)
  }

  @Test func anEmptyPassphraseIsCalledEmptyNotIncorrect() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let key = try s.keygen("k", type: "ed25519")
    let r = try s.run(["import", key], passLines: [""])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("keyhold: error: empty passphrase\n"))
    #expect(!r.stderr.contains("incorrect"))
  }

  @Test func importAndFingerprintRefuseTheSameOversizedInput() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let big = s.dir.appendingPathComponent("big.pem").path
    try Data(repeating: UInt8(ascii: "A"), count: (1 << 20) + 1).write(to: URL(fileURLWithPath: big))
    let imported = try s.run(["import", big])
    let printed = try CLIHarness.run(["fingerprint", big])
    #expect(imported.status == 1 && printed.status == 1)
    #expect(imported.stderr.contains("\(big) is larger than 1 MiB"))
    #expect(printed.stderr.contains("\(big) is larger than 1 MiB"))
    let atLimit = s.dir.appendingPathComponent("limit.pem").path
    try Data(repeating: UInt8(ascii: "A"), count: 1 << 20).write(to: URL(fileURLWithPath: atLimit))
    // Exactly at the limit the file is read, and refused only because it is not a key.
    let r = try CLIHarness.run(["fingerprint", atLimit])
    #expect(!r.stderr.contains("larger than"))
  }
}
