import KeyholdCrypto
import SSHWire

/// OpenSSH's `SHA256:` fingerprint of a key blob, as `ssh-keygen -l` prints it: unpadded base64 of the SHA-256 of
/// the plain key's blob (a certificate is fingerprinted by the key it certifies, as `sshkey_fingerprint_raw`
/// does). The form ``HostKeyIndex`` names host keys and user keys in; a key that is already parsed uses
/// `PublicKey.sha256Fingerprint`, which agrees.
enum KeyFingerprint {
  static func sha256(ofBlob blob: [UInt8]) -> String {
    var plain = blob
    if let parsed = try? PublicKeyBlob(decoding: blob), case .certificate = parsed { plain = parsed.plainKey.encoded() }
    // Sized once: each held key keeps its fingerprint, and an appended string would keep a grown buffer.
    let digest = Base64.encode(Digest.sha256(plain), padded: false)
    var fingerprint = "SHA256:"
    fingerprint.reserveCapacity(7 + digest.utf8.count)
    fingerprint += digest
    return fingerprint
  }
}
