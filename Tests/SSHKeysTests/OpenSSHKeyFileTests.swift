import KeyholdCrypto
import SSHWire
import Testing

@testable import SSHKeys

/// A table of damaged `openssh-key-v1` files, each built from a real ssh-keygen key with one field changed, and the
/// error each must give (PROTOCOL.key).
@Suite struct OpenSSHKeyFileTests {
  /// The parts of an unencrypted OpenSSH key file, to be reassembled with one change.
  struct Parts {
    var magic = OpenSSHKeyFile.magic
    var cipher = "none"
    var kdf = "none"
    var kdfOptions: [UInt8] = []
    var count: UInt32 = 1
    var publicBlob: [UInt8]
    var check1: UInt32 = 0x0102_0304
    var check2: UInt32 = 0x0102_0304
    var wire: [UInt8]
    var comment = "table"
    var padding: [UInt8]? = nil
    var trailing: [UInt8] = []

    func binary() -> [UInt8] {
      var section = SSHWriter()
      section.writeUInt32(check1)
      section.writeUInt32(check2)
      section.writeBytes(wire)
      section.writeString(comment)
      if let padding {
        section.writeBytes(padding)
      } else {
        var p: UInt8 = 1
        while section.bytes.count % 8 != 0 {
          section.writeByte(p)
          p += 1
        }
      }
      var w = SSHWriter()
      w.writeBytes(magic)
      w.writeString(cipher)
      w.writeString(kdf)
      w.writeString(kdfOptions)
      w.writeUInt32(count)
      w.writeString(publicBlob)
      w.writeString(section.bytes)
      w.writeBytes(trailing)
      return w.bytes
    }

    func armoured() -> [UInt8] { OpenSSHKeyFile.armour(binary()).unsafeCopy() }
  }

  static func parts(_ vector: String = "sshkeygen-ed25519-openssh") throws -> Parts {
    let body = try #require(try PEMFile.blocks(try Fixtures.bytes("keys/\(vector)")).first?.body)
    let envelope = try OpenSSHKeyFile.open(binary: body, provider: PassphraseProvider(nil), limits: .default)
    var r = SSHReader(envelope.plain)
    _ = try r.readUInt32()
    _ = try r.readUInt32()
    let start = r.offset
    _ = try PrivateKey.decodeWire(&r)
    let wire = Array(envelope.plain[start..<r.offset])
    return Parts(publicBlob: envelope.publicBlob, wire: wire)
  }

  static func error(_ parts: Parts) -> KeyError? {
    keyError { _ = try KeyFile.parse(parts.armoured(), passphrase: { secret("x") }) }
  }

  @Test func reassembledPartsParse() throws {
    let parsed = try KeyFile.parse(try Self.parts().armoured(), passphrase: nil as SecureBytes?)
    #expect(parsed.comment == "table")
    #expect(parsed.container == .openSSH)
  }

  @Test func damagedFieldsAreMalformed() throws {
    let base = try Self.parts()
    let other = try Self.parts("sshkeygen-ecdsa256-openssh")
    var cases: [(String, Parts)] = []
    var p = base
    p.magic = Array("openssh-key-v2".utf8) + [0]
    cases.append(("bad magic", p))
    p = base
    p.count = 2
    cases.append(("two keys", p))
    p = base
    p.count = 0
    cases.append(("no keys", p))
    p = base
    p.kdf = "bcrypt"
    cases.append(("cipher none with a kdf", p))
    p = base
    p.kdfOptions = [0, 0, 0, 0]
    cases.append(("kdf options without a kdf", p))
    p = base
    p.check2 ^= 1
    cases.append(("check ints differ", p))
    p = base
    p.padding = [1, 2, 4]
    cases.append(("padding out of sequence", p))
    p = base
    p.padding = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    cases.append(("section not a multiple of 8", p))
    p = base
    p.trailing = [0]
    cases.append(("bytes after the private section", p))
    p = base
    p.publicBlob = other.publicBlob
    cases.append(("public key of another key", p))
    p = base
    p.wire = Array(base.wire.dropLast(4))
    cases.append(("private key cut short", p))
    for (name, parts) in cases {
      let e = Self.error(parts)
      #expect(isMalformed(e), "\(name): \(String(describing: e))")
    }
  }

  @Test func unknownCipherAndKDFAreUnsupported() throws {
    var p = try Self.parts()
    p.cipher = "3des-cbc"
    #expect(Self.error(p) == .unsupportedCipher("3des-cbc"))
    p.cipher = "aes256-ctr"
    p.kdf = "scrypt"
    #expect(Self.error(p) == .unsupportedCipher("kdf scrypt"))
  }

  @Test func bcryptParametersAreCheckedBeforeThePassphraseIsAskedFor() throws {
    for (salt, rounds) in [([UInt8](), UInt32(16)), ([1, 2, 3], 0), ([1, 2, 3], UInt32.max)] {
      var p = try Self.parts()
      p.cipher = "aes256-ctr"
      p.kdf = "bcrypt"
      var o = SSHWriter()
      o.writeString(salt)
      o.writeUInt32(rounds)
      p.kdfOptions = o.bytes
      let counter = PassphraseCounter("x")
      let e = keyError { _ = try KeyFile.parse(p.armoured(), passphrase: counter.closure()) }
      #expect(isMalformed(e), "salt \(salt.count) rounds \(rounds): \(String(describing: e))")
      #expect(counter.calls == 0)
    }
  }

  @Test func securityKeyPrivateSectionIsRefusedByType() throws {
    var p = try Self.parts()
    var w = SSHWriter()
    w.writeString("sk-ssh-ed25519@openssh.com")
    w.writeBytes(p.wire.dropFirst(4 + "ssh-ed25519".utf8.count))
    p.wire = w.bytes
    #expect(Self.error(p) == .unsupportedKeyType("sk-ssh-ed25519@openssh.com"))
  }
}
