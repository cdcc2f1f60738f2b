import SSHKeys
import SSHWire
import Testing

/// `PublicKey.verify`, which the agent uses for session-bind host key signatures.
@Suite struct PublicKeyVerifyTests {
  static let cases: [(KeyAlgorithm, Int?, SignFlags)] = [
    (.ed25519, nil, []), (.ecdsaP256, nil, []), (.ecdsaP384, nil, []), (.ecdsaP521, nil, []),
    (.rsa, 2048, []), (.rsa, 2048, .rsaSHA256), (.rsa, 2048, .rsaSHA512),
  ]

  @Test func signaturesVerifyAndTamperedDataDoesNot() throws {
    for (algorithm, bits, flags) in Self.cases {
      let key = try PrivateKey.generate(algorithm, bits: bits)
      let data = Array("session identifier".utf8)
      let signature = try key.sign(data, flags: flags)
      #expect(key.publicKey.verify(signature: signature, data: data), "\(algorithm) \(flags)")
      #expect(!key.publicKey.verify(signature: signature, data: data + [0]), "\(algorithm) tampered")
      let other = try PrivateKey.generate(algorithm, bits: bits)
      #expect(!other.publicKey.verify(signature: signature, data: data), "\(algorithm) other key")
    }
  }

  @Test func signatureUnderAnotherAlgorithmNameIsRefused() throws {
    let key = try PrivateKey.generate(.ed25519)
    let data: [UInt8] = [1, 2, 3]
    var blob = try SignatureBlob(decoding: key.sign(data))
    blob.algorithm = "ssh-rsa"
    #expect(!key.publicKey.verify(signature: blob.encoded(), data: data))
    #expect(!key.publicKey.verify(signature: [0, 0, 0], data: data))
  }
}
