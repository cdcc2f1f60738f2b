import SSHKeys
import SSHWire

/// OpenSSH's `SHA256:` fingerprint of a key blob, as `ssh-keygen -l` prints it: unpadded base64 of the SHA-256 of
/// the plain key's blob (a certificate is fingerprinted by the key it certifies, as `sshkey_fingerprint_raw`
/// does). The form ``HostKeyIndex`` names host keys and user keys in; the formatting is SSHKeys' own
/// (`PublicKey.sha256Fingerprint(ofPlainBlob:)`), so a key that is already parsed gives the same string.
enum KeyFingerprint {
  static func sha256(ofBlob blob: [UInt8]) -> String {
    var plain = blob
    if let parsed = try? PublicKeyBlob(decoding: blob), case .certificate = parsed { plain = parsed.plainKey.encoded() }
    return PublicKey.sha256Fingerprint(ofPlainBlob: plain)
  }
}
