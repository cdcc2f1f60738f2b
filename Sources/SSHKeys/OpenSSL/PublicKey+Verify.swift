import COpenSSL
import KeyholdCrypto
import SSHWire

extension PublicKey {
  /// Verifies an SSH signature blob (`string algorithm, string signature`) made by this key over `data`.
  ///
  /// The algorithm must fit the key: `ssh-ed25519` (RFC 8709 §6), the curve's `ecdsa-sha2-*` with its hash
  /// (RFC 5656 §6.2.1), or for RSA `ssh-rsa` (SHA-1), `rsa-sha2-256`, `rsa-sha2-512` (RFC 8332 §3). A certificate
  /// verifies with its certified key. Used by the agent to check `session-bind@openssh.com` host key signatures.
  public func verify(signature: [UInt8], data: [UInt8]) -> Bool {
    guard let sig = try? SignatureBlob(decoding: signature) else { return false }
    switch structure.plainKey {
    case .ed25519(let pub):
      return sig.algorithm == "ssh-ed25519"
        && Sodium.ed25519Verify(signature: sig.signature, message: data, publicKey: pub)
    case .ecdsa(let curve, _):
      guard sig.algorithm == curve.keyType, let values = try? SignatureBlob.ECDSAValues(decoding: sig.signature)
      else { return false }
      let digest: Digest.Algorithm
      switch curve.bits {
      case 256: digest = .sha256
      case 384: digest = .sha384
      default: digest = .sha512
      }
      return evpVerify(digest: digest, signature: Self.derSignature(values), data: data)
    case .rsa(_, let n):
      let digest: Digest.Algorithm
      switch sig.algorithm {
      case "ssh-rsa": digest = .sha1
      case "rsa-sha2-256": digest = .sha256
      case "rsa-sha2-512": digest = .sha512
      default: return false
      }
      // RFC 8332 §3: the signature is exactly as long as the modulus.
      guard sig.signature.count == n.drop(while: { $0 == 0 }).count else { return false }
      return evpVerify(digest: digest, signature: sig.signature, data: data)
    case .certificate:
      return false
    }
  }

  private func evpVerify(digest: Digest.Algorithm, signature: [UInt8], data: [UInt8]) -> Bool {
    guard let key = try? evpPublicKey(), let ctx = EVP_MD_CTX_new() else { return false }
    defer { EVP_MD_CTX_free(ctx) }
    guard EVP_DigestVerifyInit(ctx, nil, digest.evpMD, nil, key.pointer) == 1 else {
      ERR_clear_error()
      return false
    }
    var spare: UInt8 = 0
    let rc = signature.withUnsafeBufferPointer { s in
      data.withUnsafeBufferPointer { d in
        withUnsafePointer(to: &spare) { sp in
          EVP_DigestVerify(ctx, s.baseAddress ?? sp, s.count, d.baseAddress ?? sp, d.count)
        }
      }
    }
    ERR_clear_error()
    return rc == 1
  }

  /// DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` from the SSH magnitudes.
  static func derSignature(_ values: SignatureBlob.ECDSAValues) -> [UInt8] {
    DERWriter.sequenceOfIntegers([values.r, values.s])
  }
}
