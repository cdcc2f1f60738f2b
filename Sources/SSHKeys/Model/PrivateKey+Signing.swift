import KeyholdCrypto
import SSHWire

extension PrivateKey {
  /// The signature algorithm ``sign(_:flags:)-(UnsafeRawBufferPointer,_)`` uses for `flags`.
  ///
  /// RSA: `rsa-sha2-512` for SSH_AGENT_RSA_SHA2_512 (0x04, which wins when both bits are set), `rsa-sha2-256` for
  /// SSH_AGENT_RSA_SHA2_256 (0x02), else `ssh-rsa` with SHA-1 (RFC 8332 §3.2). Other keys ignore the flags. A
  /// certificate key signs with its plain key's algorithm.
  public func signatureAlgorithm(flags: SignFlags = []) -> String {
    switch material {
    case .ed25519: return "ssh-ed25519"
    case .ecdsa(_, let curve, _): return curve.keyType
    case .rsa:
      if flags.contains(.rsaSHA512) { return "rsa-sha2-512" }
      if flags.contains(.rsaSHA256) { return "rsa-sha2-256" }
      return "ssh-rsa"
    }
  }

  /// Signs `data` and returns the SSH signature blob (`string algorithm-name, string signature`).
  public func sign(_ data: [UInt8], flags: SignFlags = []) throws(KeyError) -> [UInt8] {
    var result: Result<[UInt8], KeyError> = .failure(.signingFailed("not run"))
    data.withUnsafeBytes { result = signResult($0, flags: flags) }
    return try result.get()
  }

  /// Signs the bytes in `data` (no copy is made) and returns the SSH signature blob.
  ///
  /// Ed25519 signs the data itself (RFC 8709 §6); ECDSA signs its SHA-256/384/512 hash as `mpint r, mpint s`
  /// (RFC 5656 §3.1.2); RSA signs PKCS#1 v1.5 with the hash the flags choose, always exactly as long as the modulus,
  /// left-padded with zeros (RFC 8332 §3). Safe to call from several threads at once.
  public func sign(_ data: UnsafeRawBufferPointer, flags: SignFlags = []) throws(KeyError) -> [UInt8] {
    try signResult(data, flags: flags).get()
  }

  private func signResult(_ data: UnsafeRawBufferPointer, flags: SignFlags) -> Result<[UInt8], KeyError> {
    switch material {
    case .ed25519(let secret):
      return .success(
        PrivateKey.blob(algorithm: "ssh-ed25519", signatureLength: Sodium.ed25519SignatureBytes) { out in
          Sodium.ed25519Sign(data, secret: secret, into: out)
        })
    case .ecdsa(_, let curve, let signer):
      return PrivateKey.signECDSA(data, curve: curve, signer: signer)
    case .rsa(_, let signers, let modulusBytes):
      let algorithm: String
      let digest: Digest.Algorithm
      let signer: EVP.SignTemplate
      if flags.contains(.rsaSHA512) {
        (algorithm, digest, signer) = ("rsa-sha2-512", .sha512, signers.sha512)
      } else if flags.contains(.rsaSHA256) {
        (algorithm, digest, signer) = ("rsa-sha2-256", .sha256, signers.sha256)
      } else {
        (algorithm, digest, signer) = ("ssh-rsa", .sha1, signers.sha1)
      }
      var failure: KeyError? = nil
      let blob = PrivateKey.blob(algorithm: algorithm, signatureLength: modulusBytes) { out in
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { hashBuffer in
          let hash = UnsafeMutableRawBufferPointer(rebasing: hashBuffer[0..<digest.size])
          Digest.hash(digest, data, into: hash)
          do throws(KeyError) {
            let length = try signer.sign(digest: UnsafeRawBufferPointer(hash), into: out)
            guard length <= modulusBytes else { throw KeyError.signingFailed("rsa signature longer than modulus") }
            if length < modulusBytes {
              // RFC 8332 §3: the signature is as long as the modulus; OpenSSL pads already, but never rely on it.
              let shift = modulusBytes - length
              let base = out.baseAddress!
              base.advanced(by: shift).copyMemory(from: base, byteCount: length)
              base.initializeMemory(as: UInt8.self, repeating: 0, count: shift)
            }
          } catch {
            failure = error
          }
        }
      }
      if let failure { return .failure(failure) }
      return .success(blob)
    }
  }

  private static func signECDSA(_ data: UnsafeRawBufferPointer, curve: PublicKeyBlob.Curve, signer: EVP.SignTemplate)
    -> Result<[UInt8], KeyError>
  {
    let digest: Digest.Algorithm
    switch curve {
    case .nistp256: digest = .sha256
    case .nistp384: digest = .sha384
    case .nistp521: digest = .sha512
    }
    // DER ECDSA-Sig-Value for P-521 is at most 139 bytes.
    return withUnsafeTemporaryAllocation(byteCount: 64 + 160, alignment: 8) { scratch in
      let hash = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<digest.size])
      let der = UnsafeMutableRawBufferPointer(rebasing: scratch[64..<(64 + 160)])
      Digest.hash(digest, data, into: hash)
      do throws(KeyError) {
        let length = try signer.sign(digest: UnsafeRawBufferPointer(hash), into: der)
        let sig = UnsafeRawBufferPointer(rebasing: der[0..<length])
        let (r, s) = try EVP.ecdsaValueRanges(der: sig)
        // mpint r, mpint s (RFC 4251 §5): a zero byte before a magnitude whose top bit is set.
        let rPad = sig[r.lowerBound] & 0x80 != 0 ? 1 : 0
        let sPad = sig[s.lowerBound] & 0x80 != 0 ? 1 : 0
        let innerLength = 8 + rPad + r.count + sPad + s.count
        return .success(
          PrivateKey.blob(algorithm: curve.keyType, signatureLength: innerLength) { out in
            // Two direct calls rather than a loop over an array literal, which would allocate on every signature.
            var i = 0
            func put(_ range: Range<Int>, _ pad: Int) {
              let n = range.count + pad
              out[i] = UInt8(truncatingIfNeeded: n >> 24)
              out[i + 1] = UInt8(truncatingIfNeeded: n >> 16)
              out[i + 2] = UInt8(truncatingIfNeeded: n >> 8)
              out[i + 3] = UInt8(truncatingIfNeeded: n)
              i += 4 + pad  // the pad byte is already zero
              UnsafeMutableRawBufferPointer(rebasing: out[i..<(i + range.count)]).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: sig[range]))
              i += range.count
            }
            put(r, rPad)
            put(s, sPad)
          })
      } catch {
        return .failure(error)
      }
    }
  }

  /// Builds `string algorithm, string signature` in one allocation; `fill` writes the signature in place.
  private static func blob(
    algorithm: String, signatureLength: Int, fill: (UnsafeMutableRawBufferPointer) -> Void
  ) -> [UInt8] {
    let name = algorithm.utf8
    let total = 8 + name.count + signatureLength
    return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
      var i = 0
      func put32(_ v: Int) {
        buffer[i] = UInt8(truncatingIfNeeded: v >> 24)
        buffer[i + 1] = UInt8(truncatingIfNeeded: v >> 16)
        buffer[i + 2] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[i + 3] = UInt8(truncatingIfNeeded: v)
        i += 4
      }
      put32(name.count)
      for b in name {
        buffer[i] = b
        i += 1
      }
      put32(signatureLength)
      let tail = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[i..<total])
      tail.initializeMemory(as: UInt8.self, repeating: 0)
      fill(tail)
      count = total
    }
  }
}
