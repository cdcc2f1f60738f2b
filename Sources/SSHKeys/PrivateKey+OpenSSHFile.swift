import SSHWire

extension PrivateKey {
  /// The key as an unencrypted OpenSSH private key file (`-----BEGIN OPENSSH PRIVATE KEY-----`), as
  /// `ssh-keygen -N ''` writes it (PROTOCOL.key): magic `openssh-key-v1\0`, cipher and KDF `none`, one key, two
  /// equal random check integers, the plain private-key wire form, the comment, and padding 1, 2, 3, ... to a
  /// multiple of 8. A certificate is not stored in the file (OpenSSH keeps it in `-cert.pub`).
  ///
  /// The returned text holds the secret key in ordinary memory; write it out and drop it.
  public func openSSHPrivateKeyFile() -> String {
    var bytes = openSSHPrivateKeyFileBytes().unsafeCopy()
    defer { SecureBytes.wipe(&bytes) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// ``openSSHPrivateKeyFile()`` in guarded memory, every intermediate copy wiped.
  func openSSHPrivateKeyFileBytes() -> SecureBytes {
    var section = plainWire.unsafeCopy()
    defer { SecureBytes.wipe(&section) }
    let check = Sodium.randomBytes(4)
    let commentBytes = Array(comment.utf8)
    var body = PrivateKey.fileBody(
      publicBlob: plainPublicKey.blob, check: check, wire: section, comment: commentBytes)
    defer { SecureBytes.wipe(&body) }
    return OpenSSHKeyFile.armour(body)
  }

  private static func fileBody(publicBlob: [UInt8], check: [UInt8], wire: [UInt8], comment: [UInt8]) -> [UInt8] {
    var unpadded = 8 + wire.count + 4 + comment.count
    let padding = (8 - unpadded % 8) % 8
    unpadded += padding
    var w = SSHWriter(capacity: 64 + publicBlob.count + unpadded + 8)
    w.writeBytes(Array("openssh-key-v1".utf8) + [0])
    w.writeString("none")
    w.writeString("none")
    w.writeString([UInt8]())
    w.writeUInt32(1)
    w.writeString(publicBlob)
    w.writeUInt32(UInt32(unpadded))
    w.writeBytes(check)
    w.writeBytes(check)
    w.writeBytes(wire)
    w.writeString(comment)
    for i in 0..<padding { w.writeByte(UInt8(i + 1)) }
    return w.bytes
  }
}
