import Foundation
import KeyholdCrypto
import SSHKeys
import Testing

/// How `keyhold import -` cuts standard input into keys (keyhold-import(1)), on the committed cloud tool outputs.
@Suite struct KeyStreamTests {
  static let outputs = ["euca-rsa.txt", "aws-json-ed25519.txt", "aws-text-rsa.txt", "euca-rsa-noblank.txt"]

  @Test func cloudToolOutputsOneAfterAnotherSplitIntoOneParsableKeyEach() throws {
    let files = try Self.outputs.map { try Fixtures.bytes("wrappers/\($0)") }
    var joined: [UInt8] = []
    for f in files { joined += f + Array("\n\n".utf8) }
    let pieces = KeyStream.split(joined)
    #expect(pieces.count == files.count)
    for (piece, file) in zip(pieces, files) {
      // Each piece is its output less the blank lines around it.
      let trimmed = String(decoding: file, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(String(decoding: piece, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == trimmed)
      #expect(try KeyFile.parse(piece, passphrase: nil as SecureBytes?).privateKey != nil)
    }
  }

  @Test func inputItDoesNotRecogniseStaysWhole() throws {
    let pub = try Fixtures.bytes("keys/sshkeygen-ecdsa256.pub")
    #expect(KeyStream.split(pub) == [pub])
    // A known block followed by something else: the rest is one piece, left for the parser to refuse.
    let euca = try Fixtures.bytes("wrappers/euca-rsa.txt")
    let pieces = KeyStream.split(euca + pub)
    #expect(pieces.count == 2)
    #expect(pieces[1] == pub)
    // An unterminated block is not a block.
    let open = Array("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n".utf8)
    #expect(KeyStream.split(open) == [open])
    #expect(KeyStream.split([]) == [[]])
  }
}
