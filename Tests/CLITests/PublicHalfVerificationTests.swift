import Foundation
import KeyholdCrypto
import SSHKeys
import Testing

/// `export --public` hands out a key for others to trust: verified against the seal with `--verify`, and said to be
/// unverified otherwise (keyhold-vault(5): the public half is not authenticated without the passphrase).
struct PublicHalfVerificationTests {
  /// The SSH blob of a `.pub` file.
  static func blob(_ pubPath: String) throws -> [UInt8] {
    let line = try String(contentsOfFile: pubPath, encoding: .utf8)
    let b64 = try #require(line.split(separator: " ").dropFirst().first)
    return [UInt8](try #require(Data(base64Encoded: String(b64))))
  }

  @Test func aPublicKeySwappedInTheFileIsCaughtByVerifyAndFlaggedWithout() throws {
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let a = try s.keygen("a", type: "ed25519")
    let b = try s.keygen("b", type: "ed25519")
    #expect(try s.run(["import", a]).status == 0)
    var r = try s.run(["export", "a", "--public", "--verify"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)

    // Whoever can write the file swaps in their own public key and recomputes the unkeyed checksum.
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: s.vault)))
    let (old, new) = (try Self.blob(a + ".pub"), try Self.blob(b + ".pub"))
    var body = Array(bytes.prefix(bytes.count - 32))
    var replaced = 0
    var i = 0
    while i + old.count <= body.count {
      if Array(body[i..<i + old.count]) == old {
        body.replaceSubrange(i..<i + old.count, with: new)
        replaced += 1
      }
      i += 1
    }
    #expect(replaced >= 1)
    bytes = body + Sodium.hash(body)
    try Data(bytes).write(to: URL(fileURLWithPath: s.vault))

    r = try s.run(["export", "a", "--public"])
    #expect(r.status == 0)
    #expect(r.stderr.contains("not authenticated without the passphrase; --verify checks it"), "\(r.stderr)")
    r = try s.run(["export", "a", "--public", "--verify"])
    #expect(r.status == 1)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.hasPrefix("keyhold: error: "), "\(r.stderr)")
    #expect(r.stderr.contains("altered"), "\(r.stderr)")
  }
}
