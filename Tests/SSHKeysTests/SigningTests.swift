import Foundation
import KeyholdCrypto
import SSHWire
import Testing

@testable import SSHKeys

/// Every key type, and every RSA hash, makes signatures that OpenSSH and OpenSSL accept.
@Suite struct SigningTests {
  /// (algorithm, bits, SSH sign flags) triples covering every signature algorithm keyhold produces.
  static let cases: [(KeyAlgorithm, Int?, SignFlags)] = [
    (.ed25519, nil, []),
    (.ecdsaP256, 256, []),
    (.ecdsaP384, 384, []),
    (.ecdsaP521, 521, []),
    (.rsa, 2048, .rsaSHA256),
    (.rsa, 2048, .rsaSHA512),
    (.rsa, 2048, [.rsaSHA256, .rsaSHA512]),
  ]

  @Test("generated keys make SSHSIG signatures ssh-keygen accepts", arguments: 0..<cases.count)
  func generatedKeySignatureVerifiesWithSSHKeygen(index: Int) throws {
    let (algorithm, bits, flags) = SigningTests.cases[index]
    let key = try PrivateKey.generate(algorithm, bits: bits, comment: "gen")
    let dir = try KeyTestSupport.tempDir()
    let message = Array("hello from keyhold \(index)\n".utf8)
    let sig = try KeyTestSupport.sshsig(key: key, namespace: "file", message: message, flags: flags)
    let result = try KeyTestSupport.checkWithSSHKeygen(sig: sig, message: message, namespace: "file", in: dir)
    #expect(result.status == 0, "ssh-keygen -Y check-novalidate: \(result.stderr)")
    // A changed message must fail, so the check above is meaningful.
    let bad = try KeyTestSupport.checkWithSSHKeygen(sig: sig, message: message + [0], namespace: "file", in: dir)
    #expect(bad.status != 0)
  }

  @Test(
    "ssh-keygen keys load and sign verifiably",
    arguments: [("ed25519", nil), ("ecdsa", 256), ("ecdsa", 384), ("ecdsa", 521), ("rsa", 2048), ("rsa", 3072)]
      as [(String, Int?)])
  func sshKeygenKeySignatureVerifies(type: String, bits: Int?) throws {
    let dir = try KeyTestSupport.tempDir()
    let file = try KeyTestSupport.sshKeygen(type, bits: bits, in: dir, name: "k")
    let key = try KeyTestSupport.loadOpenSSHKey(file)
    let pubLine = try String(contentsOf: dir.appendingPathComponent("k.pub"), encoding: .utf8)
    #expect(pubLine.trimmingCharacters(in: .whitespacesAndNewlines) == key.publicKey.openSSHLine(comment: "test"))
    let message = Array("message".utf8)
    let flags: SignFlags = type == "rsa" ? .rsaSHA512 : []
    let sig = try KeyTestSupport.sshsig(key: key, namespace: "git", message: message, flags: flags)
    let result = try KeyTestSupport.checkWithSSHKeygen(sig: sig, message: message, namespace: "git", in: dir)
    #expect(result.status == 0, "\(result.stderr)")
  }

  @Test("RSA signs ssh-rsa, rsa-sha2-256 and rsa-sha2-512 as OpenSSL verifies them")
  func rsaEveryHashVerifiesWithOpenSSL() throws {
    let key = try PrivateKey.generate(.rsa, bits: 2048)
    let dir = try KeyTestSupport.tempDir()
    let message = Array("raw rsa".utf8)
    for (flags, name, hash) in [
      ([], "ssh-rsa", "sha1"), (.rsaSHA256, "rsa-sha2-256", "sha256"), (.rsaSHA512, "rsa-sha2-512", "sha512"),
      ([.rsaSHA256, .rsaSHA512], "rsa-sha2-512", "sha512"),
    ] as [(SignFlags, String, String)] {
      let blob = try SignatureBlob(decoding: key.sign(message, flags: flags))
      #expect(blob.algorithm == name)
      #expect(key.signatureAlgorithm(flags: flags) == name)
      #expect(blob.signature.count == 256)
      let ok = try KeyTestSupport.opensslVerify(
        publicKey: key.publicKey, hash: hash, signature: blob.signature, message: message, in: dir)
      #expect(ok.status == 0, "\(name): \(ok.stderr)")
    }
  }

  @Test("ECDSA signatures are mpint r, mpint s that OpenSSL verifies", arguments: [256, 384, 521])
  func ecdsaInnerSignatureVerifiesWithOpenSSL(bits: Int) throws {
    let algorithm: KeyAlgorithm = bits == 256 ? .ecdsaP256 : bits == 384 ? .ecdsaP384 : .ecdsaP521
    let key = try PrivateKey.generate(algorithm)
    let dir = try KeyTestSupport.tempDir()
    let message = Array("raw ecdsa".utf8)
    let blob = try SignatureBlob(decoding: key.sign(message))
    #expect(blob.algorithm == algorithm.rawValue)
    let values = try SignatureBlob.ECDSAValues(decoding: blob.signature)
    let hash = bits == 256 ? "sha256" : bits == 384 ? "sha384" : "sha512"
    let der = KeyTestSupport.derECDSA(r: values.r, s: values.s)
    let ok = try KeyTestSupport.opensslVerify(
      publicKey: key.publicKey, hash: hash, signature: der, message: message, in: dir)
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test("ECDSA r and s are canonical mpints whether or not their top bit is set", arguments: [256, 521])
  func ecdsaValuesAreCanonical(bits: Int) throws {
    let key = try PrivateKey.generate(bits == 256 ? .ecdsaP256 : .ecdsaP521)
    var sawHighBit = false
    for i in 0..<64 {
      let blob = try SignatureBlob(decoding: key.sign(Array("m\(i)".utf8)))
      let values = try SignatureBlob.ECDSAValues(decoding: blob.signature)  // rejects non-canonical mpints
      #expect(values.encoded() == blob.signature)
      if values.r[0] & 0x80 != 0 || values.s[0] & 0x80 != 0 { sawHighBit = true }
    }
    if bits == 256 { #expect(sawHighBit) }
  }

  @Test("an RSA signature is always exactly the modulus length, also when it starts with zero bytes")
  func rsaSignatureIsAlwaysModulusLength() throws {
    let key = try PrivateKey.generate(.rsa, bits: 2048)
    var zeroLed: ([UInt8], [UInt8])? = nil
    // About one signature in 256 has a leading zero byte; 3000 makes missing one a 1-in-100,000 event.
    for i in 0..<3000 {
      let message = Array("message \(i)".utf8)
      let blob = try SignatureBlob(decoding: key.sign(message, flags: .rsaSHA256))
      #expect(blob.signature.count == 256)
      if blob.signature[0] == 0, zeroLed == nil { zeroLed = (message, blob.signature) }
    }
    let (message, signature) = try #require(zeroLed)
    let dir = try KeyTestSupport.tempDir()
    let ok = try KeyTestSupport.opensslVerify(
      publicKey: key.publicKey, hash: "sha256", signature: signature, message: message, in: dir)
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test("Ed25519 signatures verify with libsodium and are deterministic")
  func ed25519SignatureVerifiesAndIsDeterministic() throws {
    let key = try PrivateKey.generate(.ed25519)
    let message = Array("deterministic".utf8)
    let a = try SignatureBlob(decoding: key.sign(message))
    let b = try SignatureBlob(decoding: key.sign(message))
    #expect(a == b)
    guard case .ed25519(let pub) = key.publicKey.structure else {
      Issue.record("not ed25519")
      return
    }
    #expect(Sodium.ed25519Verify(signature: a.signature, message: message, publicKey: pub))
    #expect(!Sodium.ed25519Verify(signature: a.signature, message: message + [1], publicKey: pub))
  }

  @Test("signing from many threads at once with one key gives valid signatures")
  func concurrentSigningIsSafe() async throws {
    let keys = try [
      PrivateKey.generate(.ed25519), PrivateKey.generate(.ecdsaP256), PrivateKey.generate(.rsa, bits: 2048),
    ]
    let results = try await withThrowingTaskGroup(of: Bool.self) { group in
      for t in 0..<8 {
        group.addTask {
          for i in 0..<50 {
            let key = keys[(t + i) % keys.count]
            let blob = try SignatureBlob(decoding: key.sign(Array("m\(i)".utf8), flags: .rsaSHA512))
            guard blob.algorithm == key.signatureAlgorithm(flags: .rsaSHA512) else { return false }
          }
          return true
        }
      }
      var all: [Bool] = []
      for try await r in group { all.append(r) }
      return all
    }
    #expect(results.count == 8 && results.allSatisfy { $0 })
  }
}
