import KeyholdCrypto
import SSHWire

extension PrivateKey {
  /// The key as an unencrypted OpenSSH private key file (`-----BEGIN OPENSSH PRIVATE KEY-----`), as
  /// `ssh-keygen -N ''` writes it (PROTOCOL.key): magic `openssh-key-v1\0`, cipher and KDF `none`, one key, two
  /// equal random check integers, the plain private-key wire form, the comment, and padding 1, 2, 3, ... to a
  /// multiple of 8 (``OpenSSHKeyFile``'s one writer). A certificate is not stored in the file (OpenSSH keeps it in
  /// `-cert.pub`).
  ///
  /// The returned text holds the secret key in ordinary memory; write it out and drop it.
  public func openSSHPrivateKeyFile() -> String {
    var bytes = openSSHPrivateKeyFileBytes().unsafeCopy()
    defer { SecureBytes.wipe(&bytes) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// ``openSSHPrivateKeyFile()`` in guarded memory, every intermediate copy wiped.
  func openSSHPrivateKeyFileBytes() -> SecureBytes { OpenSSHKeyFile.encodePlain(self, comment: comment) }
}
