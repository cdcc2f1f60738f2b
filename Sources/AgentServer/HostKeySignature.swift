import SSHKeys

/// Verification of the host key signature carried by `session-bind@openssh.com` (PROTOCOL.agent §1).
enum HostKeySignature {
  /// True when `signature` (an SSH signature blob) is `hostKey`'s valid signature over `data`.
  @Sendable static func verify(hostKey: [UInt8], signature: [UInt8], data: [UInt8]) -> Bool {
    guard let key = try? PublicKey(blob: hostKey) else { return false }
    return key.verify(signature: signature, data: data)
  }
}
