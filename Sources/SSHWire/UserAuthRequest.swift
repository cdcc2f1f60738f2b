/// The data an SSH client asks the agent to sign for public-key user authentication (RFC 4252 §7), with OpenSSH's
/// `publickey-hostbound-v00@openssh.com` variant that appends the server's host key.
///
/// The agent parses it to check destination-restricted keys (PROTOCOL.agent §2).
public struct UserAuthRequest: Sendable, Equatable {
  /// The session identifier (exchange hash).
  public var sessionID: [UInt8]
  /// The user name on the server.
  public var user: String
  /// The service (`ssh-connection`).
  public var service: String
  /// `publickey` or `publickey-hostbound-v00@openssh.com`.
  public var method: String
  /// The public key algorithm name.
  public var algorithm: String
  /// The public key blob.
  public var keyBlob: [UInt8]
  /// The server host key blob (hostbound method only).
  public var hostKey: [UInt8]?

  /// SSH_MSG_USERAUTH_REQUEST.
  static let messageNumber: UInt8 = 50

  /// Parses `data`; returns nil unless it is exactly a well-formed public-key authentication request.
  public static func parse(_ data: [UInt8]) -> UserAuthRequest? {
    var r = AgentReader(data)
    do {
      let sid = try r.string()
      guard !sid.isEmpty, try r.byte() == messageNumber else { return nil }
      let user = try r.utf8()
      let service = try r.utf8()
      let method = try r.utf8()
      guard try r.bool() else { return nil }
      let alg = try r.utf8()
      let key = try r.string()
      var hostKey: [UInt8]? = nil
      switch method {
      case "publickey-hostbound-v00@openssh.com": hostKey = try r.string()
      case "publickey": break
      default: return nil
      }
      try r.end()
      guard service == "ssh-connection" else { return nil }
      return UserAuthRequest(
        sessionID: sid, user: user, service: service, method: method, algorithm: alg, keyBlob: key, hostKey: hostKey)
    } catch {
      return nil
    }
  }
}
