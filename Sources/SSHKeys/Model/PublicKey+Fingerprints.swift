import KeyholdCrypto
import SSHWire

extension PublicKey {
  /// The blob fingerprints are taken over: a certificate's fingerprint is its plain key's, as in OpenSSH
  /// (`sshkey_fingerprint_raw` serialises with `force_plain`).
  var fingerprintBlob: [UInt8] { isCertificate ? structure.plainKey.encoded() : blob }

  /// OpenSSH's `SHA256:` fingerprint (base64 without padding), as `ssh-keygen -l` prints it.
  public var sha256Fingerprint: String { Self.sha256Fingerprint(ofPlainBlob: fingerprintBlob) }

  /// The `SHA256:` fingerprint of a plain (non-certificate) key blob, for callers that hold only the blob.
  public static func sha256Fingerprint(ofPlainBlob blob: [UInt8]) -> String {
    // Sized once: a held key keeps its fingerprint, and an appended string would keep a grown buffer (16 bytes of
    // heap per key; `keyhold-bench scale`).
    let digest = Base64.encode(Digest.sha256(blob), padded: false)
    var fingerprint = "SHA256:"
    fingerprint.reserveCapacity(7 + digest.utf8.count)
    fingerprint += digest
    return fingerprint
  }

  /// OpenSSH's `MD5:` fingerprint (colon hex), as `ssh-keygen -l -E md5` prints it.
  public var md5Fingerprint: String { "MD5:" + Hex.encode(Digest.md5(fingerprintBlob), separator: ":") }

  /// The DER SubjectPublicKeyInfo of the (plain) key, as `openssl pkey -pubout -outform DER` writes it.
  public func subjectPublicKeyInfo() throws(KeyError) -> [UInt8] {
    try EVP.subjectPublicKeyInfo(evpPublicKey())
  }

  /// An OpenSSL key object for the plain public key.
  func evpPublicKey() throws(KeyError) -> EVPKey {
    switch structure.plainKey {
    case .ed25519(let pub): return try EVP.ed25519PublicKey(pub)
    case .ecdsa(let curve, let point): return try EVP.ecPublicKey(curve: curve, point: point)
    case .rsa(let e, let n): return try EVP.rsaPublicKey(n: n, e: e)
    case .certificate: throw .malformed("certificate inside a certificate")
    }
  }

  /// Every cloud fingerprint computable from the public key alone (all kinds but `sha1-pkcs8`), keyed by kind.
  ///
  /// A kind is left out only if OpenSSL cannot encode the key, which does not happen for keys that validated.
  public func cloudFingerprints() -> [CloudFingerprintKind: String] {
    let sshBlob = fingerprintBlob
    var out: [CloudFingerprintKind: String] = [
      .md5SSH: Hex.encode(Digest.md5(sshBlob), separator: ":"),
      .sha256B64: Base64.encode(Digest.sha256(sshBlob)),
    ]
    if let spki = try? subjectPublicKeyInfo() {
      out[.md5SPKI] = Hex.encode(Digest.md5(spki), separator: ":")
      out[.sha1SPKI] = Hex.encode(Digest.sha1(spki), separator: ":")
      out[.sha256SPKIHex] = Hex.encode(Digest.sha256(spki), separator: ":")
    }
    return out
  }
}
