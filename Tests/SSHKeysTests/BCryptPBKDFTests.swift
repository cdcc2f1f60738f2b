import KeyholdCrypto
import Testing

@testable import SSHKeys

@Test func blowfishTablesStartWithThePiDigitsSchneierPublished() {
  #expect(BlowfishTables.p.count == 18)
  #expect(BlowfishTables.s.count == 1024)
  #expect(BlowfishTables.p[0] == 0x243f_6a88)
  #expect(BlowfishTables.p[1] == 0x85a3_08d3)
  #expect(BlowfishTables.p[17] == 0x8979_fb1b)
  #expect(BlowfishTables.s[0] == 0xd131_0ba6)
  #expect(BlowfishTables.s[1023] == 0x3ac3_72e6)
}

/// Eric Young's Blowfish ECB set (key, plaintext, ciphertext), as distributed with Schneier's reference code.
@Test(arguments: [
  ("0000000000000000", "0000000000000000", "4ef997456198dd78"),
  ("ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a"),
  ("3000000000000000", "1000000000000001", "7d856f9a613063f2"),
  ("1111111111111111", "1111111111111111", "2466dd878b963c9d"),
  ("0123456789abcdef", "1111111111111111", "61f9c3802281b096"),
  ("1111111111111111", "0123456789abcdef", "7d0cc630afda1ec7"),
  ("fedcba9876543210", "0123456789abcdef", "0aceab0fc6a0a28d"),
  ("7ca110454a1a6e57", "01a1d6d039776742", "59c68245eb05282b"),
])
func blowfishEncryptsTheECBKnownAnswers(key: String, plain: String, cipher: String) {
  let bf = Blowfish(key: Fixtures.hex(key))
  #expect(bf.encryptBlock(Fixtures.hex(plain)) == Fixtures.hex(cipher))
}

@Test func bcryptPBKDFMatchesTheReferenceImplementation() throws {
  let lines = try Fixtures.text("bcrypt/kdf-vectors.txt").split(separator: "\n").filter { !$0.hasPrefix("#") }
  #expect(lines.count >= 8)
  for line in lines {
    let f = line.split(separator: " ").map(String.init)
    try #require(f.count == 4)
    let expected = Fixtures.hex(f[3])
    let key = try BCryptPBKDF.derive(
      passphrase: SecureBytes(copying: Fixtures.hex(f[0])), salt: Fixtures.hex(f[1]), rounds: Int(f[2])!,
      keyLength: expected.count)
    #expect(key.unsafeCopy() == expected, "vector \(f[0]) \(f[1]) \(f[2])")
  }
}

@Test func bcryptPBKDFRefusesWhatOpenSSHRefuses() {
  let pw = SecureBytes(copying: Array("pw".utf8))
  #expect(throws: BCryptPBKDF.Failure.self) {
    try BCryptPBKDF.derive(passphrase: SecureBytes(copying: [UInt8]()), salt: [1], rounds: 1, keyLength: 1)
  }
  #expect(throws: BCryptPBKDF.Failure.self) {
    try BCryptPBKDF.derive(passphrase: pw, salt: [], rounds: 1, keyLength: 1)
  }
  #expect(throws: BCryptPBKDF.Failure.self) {
    try BCryptPBKDF.derive(passphrase: pw, salt: [1], rounds: 0, keyLength: 1)
  }
  #expect(throws: BCryptPBKDF.Failure.self) {
    try BCryptPBKDF.derive(passphrase: pw, salt: [1], rounds: 1, keyLength: 1025)
  }
}
