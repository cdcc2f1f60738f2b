import Foundation
import KeyholdCrypto
import SSHWire
import Testing

@testable import SSHKeys

/// The stored-key decode path the vault's unlock uses (decodeStoredWire): it skips only the consistency proofs a
/// key passed at import, so for every key keyhold can store it must build exactly the key the checked path builds,
/// and it must keep every structural check.
@Suite struct StoredKeyDecodeTests {
  static func storedDecode(_ bytes: [UInt8]) throws(KeyError) -> PrivateKey {
    try bytes.withUnsafeBytes { b in Result { () throws(KeyError) in try PrivateKey.decodeStoredWire(b) } }.get()
  }

  /// The checked and the stored path give the same key: same public key, same canonical wire form, and
  /// signatures that verify (byte-identical ones for the deterministic Ed25519 and RSA PKCS#1 v1.5).
  static func expectSameKey(_ checked: PrivateKey, _ stored: PrivateKey) throws {
    #expect(stored.publicKey == checked.publicKey)
    #expect(stored.plainPublicKey == checked.plainPublicKey)
    #expect(stored.encodeWire().unsafeCopy() == checked.encodeWire().unsafeCopy())
    #expect(stored.cloudFingerprints() == checked.cloudFingerprints())
    let data = Array("stored path".utf8)
    for flags: SignFlags in checked.algorithm == .rsa ? [[], .rsaSHA256, .rsaSHA512] : [[]] {
      let a = try checked.sign(data, flags: flags)
      let b = try stored.sign(data, flags: flags)
      #expect(stored.plainPublicKey.verify(signature: b, data: data))
      if checked.algorithm == .ed25519 || checked.algorithm == .rsa { #expect(a == b) }
    }
  }

  @Test("stored path builds the same key as the checked path", arguments: KeyAlgorithm.allCases)
  func storedPathMatchesCheckedPath(algorithm: KeyAlgorithm) throws {
    for _ in 0..<3 {
      let key = try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil)
      let wire = key.encodeWire().unsafeCopy()
      try Self.expectSameKey(try PrivateKeyWireTests.decode(wire), try Self.storedDecode(wire))
    }
  }

  @Test("stored path builds the same key for the ssh-keygen vectors", arguments: PrivateKeyWireTests.vectorNames)
  func storedPathMatchesForVectors(name: String) throws {
    let wire = try PrivateKeyWireTests.vectorWire(name)
    try Self.expectSameKey(try PrivateKeyWireTests.decode(wire), try Self.storedDecode(wire))
  }

  @Test func storedPathKeepsACertificate() throws {
    let line = try String(
      contentsOf: FingerprintTests.folder.appendingPathComponent("ed25519-cert.pub"), encoding: .utf8)
    let cert = try FingerprintTests.publicKey(line: line)
    let key = try KeyTestSupport.loadOpenSSHKey(FingerprintTests.folder.appendingPathComponent("ed25519.openssh"))
    let wire = try key.withCertificate(cert).encodeWire().unsafeCopy()
    let stored = try Self.storedDecode(wire)
    #expect(stored.publicKey == cert)
    try Self.expectSameKey(try PrivateKeyWireTests.decode(wire), stored)
  }

  @Test func storedPathKeepsTheStructuralChecks() throws {
    let wire = try PrivateKey.generate(.ed25519).encodeWire().unsafeCopy()
    for cut in [0, 4, 20, wire.count - 1] {
      #expect(throws: KeyError.self) { try Self.storedDecode(Array(wire[..<cut])) }
    }
    #expect(throws: KeyError.malformed("1 bytes after the private key")) { try Self.storedDecode(wire + [0]) }
    // The copy of the public key inside the 64-byte Ed25519 secret must still match (a cheap comparison).
    var mismatched = wire
    mismatched[mismatched.count - 1] ^= 1
    #expect(throws: KeyError.malformed("ed25519 public key does not belong to the private seed")) {
      try Self.storedDecode(mismatched)
    }
    // An RSA key whose q is 1 is refused on the stored path too (p − 1 and q − 1 must not be zero).
    let rsaKey = try PrivateKey.generate(.rsa, bits: 2048)
    var f = PrivateKey.Fields.decodePlain(rsaKey.encodeWire())
    f.q = [1]
    #expect(throws: KeyError.malformed("rsa prime is 0 or 1")) { try Self.storedDecode(f.encode().unsafeCopy()) }
  }

  @Test func batchDecodeGivesOneResultPerKeyInOrder() throws {
    var wires: [[UInt8]] = []
    for i in 0..<60 {
      let algorithm: KeyAlgorithm = i % 10 == 9 ? .rsa : (i % 10 >= 7 ? .ecdsaP256 : .ed25519)
      wires.append(try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil).encodeWire().unsafeCopy())
    }
    var ranges: [Range<Int>] = []
    var joined: [UInt8] = []
    for w in wires {
      ranges.append(joined.count..<(joined.count + w.count))
      joined += w
    }
    ranges.append(0..<3)  // not a key
    ranges.append(joined.count..<(joined.count + 10))  // outside the buffer
    let results = PrivateKey.decodeStoredWires(SecureBytes(copying: joined), ranges: ranges)
    #expect(results.count == wires.count + 2)
    for (w, r) in zip(wires, results) {
      #expect(try r.get().encodeWire().unsafeCopy() == w)
    }
    #expect(throws: KeyError.self) { try results[wires.count].get() }
    #expect(throws: KeyError.malformed("stored key outside its buffer")) { try results[wires.count + 1].get() }
  }

  @Test func batchDecodeBuildsEachKeyWithItsComment() throws {
    var joined: [UInt8] = []
    var ranges: [Range<Int>] = []
    for algorithm in [KeyAlgorithm.ed25519, .ecdsaP256, .ed25519] {
      let w = try PrivateKey.generate(algorithm).encodeWire().unsafeCopy()
      ranges.append(joined.count..<(joined.count + w.count))
      joined += w
    }
    let comments = ["alpha", "beta@host", ""]
    let results = PrivateKey.decodeStoredWires(SecureBytes(copying: joined), ranges: ranges, comments: comments)
    #expect(try results.map { try $0.get().comment } == comments)
    #expect(try Self.storedDecode(Array(joined[ranges[0]])).comment == "")
  }

  /// An Ed25519 key holds its secret once (libsodium's seed ‖ A); its wire form is rebuilt from it when asked for,
  /// byte for byte what was read. RSA and ECDSA keys, whose material is an OpenSSL object, keep theirs.
  @Test("Ed25519 keys keep no second copy of the secret", arguments: KeyAlgorithm.allCases)
  func ed25519KeysKeepNoWireCopy(algorithm: KeyAlgorithm) throws {
    let generated = try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil)
    let wire = generated.encodeWire().unsafeCopy()
    for key in [generated, try PrivateKeyWireTests.decode(wire), try Self.storedDecode(wire)] {
      #expect((key.storedWire == nil) == (algorithm == .ed25519))
      #expect(key.encodeWire().unsafeCopy() == wire)
      #expect(key.withComment("renamed").encodeWire().unsafeCopy() == wire)
    }
  }

  /// Every allocation on the agent's add path may fail: each failure point gives `outOfSecureMemory`, none traps.
  @Test("out of secure memory is an error on the add path", arguments: KeyAlgorithm.allCases)
  func outOfSecureMemoryWhileDecodingIsAnError(algorithm: KeyAlgorithm) throws {
    let wire = try PrivateKey.generate(algorithm, bits: algorithm == .rsa ? 2048 : nil).encodeWire().unsafeCopy()
    var failures = 0
    for limit in [0, 16, 63, 64, 100, 200, 400, 1_000, 1_500] {
      for stored in [false, true] {
        let result = SecureBytes.withSimulatedLimit(bytes: limit) { () -> Result<PrivateKey, KeyError> in
          Result { () throws(KeyError) in
            if stored { return try Self.storedDecode(wire) }
            var reader = SSHReader(wire)
            return try PrivateKey.decodeWire(&reader)
          }
        }
        switch result {
        case .success(let key): #expect(key.encodeWire().unsafeCopy() == wire)
        case .failure(let error):
          #expect(error == .outOfSecureMemory)
          failures += 1
        }
      }
    }
    #expect(failures >= 2)
    #expect(KeyError.outOfSecureMemory.description == "out of secure memory for the key")
  }

  @Test func batchDecodeHandsTheSimulatedLimitToItsWorkers() throws {
    var joined: [UInt8] = []
    var ranges: [Range<Int>] = []
    for _ in 0..<64 {
      let w = try PrivateKey.generate(.ed25519).encodeWire().unsafeCopy()
      ranges.append(joined.count..<(joined.count + w.count))
      joined += w
    }
    let storage = SecureBytes(copying: joined)
    let results = SecureBytes.withSimulatedLimit(bytes: 0) { PrivateKey.decodeStoredWires(storage, ranges: ranges) }
    #expect(results.allSatisfy { if case .failure(.outOfSecureMemory) = $0 { true } else { false } })
  }

  @Test func keyFileParsingOutOfSecureMemoryIsAnError() throws {
    let url = KeyTestSupport.repoRoot.appendingPathComponent("testdata/keys/sshkeygen-ecdsa256-openssh")
    let file = try Array(Data(contentsOf: url))
    #expect(throws: KeyError.outOfSecureMemory) {
      try SecureBytes.withSimulatedLimit(bytes: 0) { try KeyFile.parse(file, passphrase: nil as SecureBytes?) }
    }
  }
}
