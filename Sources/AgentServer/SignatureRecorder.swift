import SSHWire

/// Where the agent reports every sign request it answers (keyhold-log(1)): the signature log.
///
/// The agent never writes files itself; the CLI hands it a recorder backed by the log writer. ``record(_:)`` is
/// called on the signing path, once per answered sign request, after the signature was made or refused: it must
/// return at once (queue the record) and keep its failures to itself.
public protocol SignatureRecorder: AnyObject, Sendable {
  /// One answered sign request.
  func record(_ event: SignatureEvent)

  /// What `status@keyhold` reports about the log.
  func logStatus() -> SignatureLogState
}

/// What one sign request was for, read from the data to sign.
public enum SignaturePurpose: Sendable, Equatable {
  /// SSH public-key user authentication (RFC 4252 §7), for `user`.
  case userAuthentication(user: String)
  /// An SSH signature (PROTOCOL.sshsig) in `namespace`: `git` for commit signing, `file` by default.
  case sshsig(namespace: String)
  /// Anything else.
  case other

  /// The most bytes of signed data an event keeps for ``of(_:)`` to read later, off the signing path; larger
  /// data is classified at once, so the log's queue never holds large buffers.
  static let deferredLimit = 4096

  /// Whether `data` may be an SSH signature or a user-authentication request: a look at the first bytes that
  /// allocates nothing (the `SSHSIG` preamble, or a non-empty session id followed by message 50). False means
  /// ``of(_:)`` answers ``other``.
  static func mayBeNamed(_ data: [UInt8]) -> Bool {
    guard data.count >= 10 else { return false }
    if data[0] == UInt8(ascii: "S") && data[0..<6].elementsEqual("SSHSIG".utf8) { return true }
    let length = Int(data[0]) << 24 | Int(data[1]) << 16 | Int(data[2]) << 8 | Int(data[3])
    return length > 0 && length < data.count - 4 && data[4 + length] == 50  // SSH_MSG_USERAUTH_REQUEST, RFC 4252 §7
  }

  /// The log's name for it: `ssh-userauth`, `sshsig:NAMESPACE` or `other`.
  public var name: String {
    switch self {
    case .userAuthentication: return "ssh-userauth"
    case .sshsig(let namespace): return "sshsig:" + namespace
    case .other: return "other"
    }
  }

  /// Classifies `data`. PROTOCOL.sshsig: the signed blob is the magic preamble `SSHSIG` (six bytes, no length)
  /// followed by `string namespace`, `string reserved`, `string hash_algorithm`, `string H(message)`.
  public static func of(_ data: [UInt8]) -> SignaturePurpose {
    if data.count >= 10 && data[0..<6].elementsEqual("SSHSIG".utf8) {
      let length = data[6..<10].reduce(0) { $0 << 8 | Int($1) }
      if length <= data.count - 10 {
        return .sshsig(namespace: String(decoding: data[10..<(10 + length)], as: UTF8.self))
      }
      return .other
    }
    if let auth = UserAuthRequest.parse(data) { return .userAuthentication(user: auth.user) }
    return .other
  }
}

/// One answered sign request, as the agent knows it when it answers. Blobs, not fingerprints: the recorder works
/// those out off the signing path.
public struct SignatureEvent: Sendable {
  /// Where a key came from.
  public enum Source: String, Sendable {
    /// The vault.
    case vault
    /// A client (ssh-add).
    case sshAdd = "ssh-add"
    /// A PKCS #11 token (ssh-add -s).
    case pkcs11
  }

  /// The key blob the request named (a certificate blob for a certificate).
  public var keyBlob: [UInt8]
  /// The key's comment as listed (the vault name for vault keys); nil when the agent does not hold the key.
  public var keyComment: String?
  /// Where the key came from; nil when the agent does not hold it.
  public var source: Source?
  /// Why the request was refused; nil when it was signed.
  public var refusal: String?
  /// The peer's user id and process id (SO_PEERCRED).
  public var peerUID: UInt32
  public var peerPID: Int32
  /// The peer process as read when it connected; nil when it was not read.
  public var peer: PeerProcess?
  /// The host key blob of the connection's last binding; nil on an unbound connection.
  public var hostKey: [UInt8]?
  /// How many bindings the connection holds (0 local, 1 direct, more when forwarded).
  public var hops: Int
  /// What the data was for. Read from the signed data kept for it when asked (off the signing path).
  public var purpose: SignaturePurpose {
    if let signedData { return .of(signedData) }
    return knownPurpose
  }
  private var knownPurpose: SignaturePurpose
  /// The data, kept (by reference: no copy on the signing path) only while its purpose is still to be read; it is
  /// never written to the log.
  private var signedData: [UInt8]?

  /// Creates an event.
  public init(
    keyBlob: [UInt8], keyComment: String?, source: Source?, refusal: String?, peerUID: UInt32, peerPID: Int32,
    peer: PeerProcess?, hostKey: [UInt8]?, hops: Int, purpose: SignaturePurpose
  ) {
    self.keyBlob = keyBlob
    self.keyComment = keyComment
    self.source = source
    self.refusal = refusal
    self.peerUID = peerUID
    self.peerPID = peerPID
    self.peer = peer
    self.hostKey = hostKey
    self.hops = hops
    knownPurpose = purpose
    signedData = nil
  }

  /// Creates an event whose purpose is read from `data` later (``purpose``), unless it is plainly ``other`` or
  /// too large to keep.
  init(
    keyBlob: [UInt8], keyComment: String?, source: Source?, refusal: String?, peerUID: UInt32, peerPID: Int32,
    peer: PeerProcess?, hostKey: [UInt8]?, hops: Int, data: [UInt8]
  ) {
    self.init(
      keyBlob: keyBlob, keyComment: keyComment, source: source, refusal: refusal, peerUID: peerUID, peerPID: peerPID,
      peer: peer, hostKey: hostKey, hops: hops, purpose: .other)
    if SignaturePurpose.mayBeNamed(data) {
      if data.count <= SignaturePurpose.deferredLimit { signedData = data } else { knownPurpose = .of(data) }
    }
  }
}

extension Agent {
  /// Signs `request` and, with a recorder configured, reports the answer (signed or refused) to it.
  func signRecorded(_ request: AgentSignRequest, _ connection: AgentConnectionState) throws(AgentFailure) -> [UInt8] {
    guard let recorder = configuration.signatureLog else { return try sign(request, connection) }
    do {
      let signature = try sign(request, connection)
      recorder.record(event(request, connection, refusal: nil))
      return signature
    } catch {
      recorder.record(event(request, connection, refusal: error.description))
      throw error
    }
  }

  private func event(_ request: AgentSignRequest, _ connection: AgentConnectionState, refusal: String?)
    -> SignatureEvent
  {
    let blob = request.keyBlob
    let (identity, added, sealed) = keyring.withState { s -> (KeyIdentity?, Bool, Bool) in
      if let id = s.addedKey(blob) { return (id, true, false) }
      switch s.vaultTarget(blob) {
      case .key(let id): return (id, false, false)
      case .sealedVaultKey: return (nil, false, true)
      case .none: return (nil, false, false)
      }
    }
    var source: SignatureEvent.Source? = sealed ? .vault : nil
    if let identity {
      if identity.key.provider != nil { source = .pkcs11 } else { source = added ? .sshAdd : .vault }
    }
    // The held key's blob rather than the request's: the same bytes in storage that lives on anyway, so the
    // request's buffer is freed here, on the thread that made it, and the log's fingerprint cache sees one array.
    return SignatureEvent(
      keyBlob: identity?.blob ?? blob, keyComment: identity?.comment, source: source, refusal: refusal,
      peerUID: connection.peerUID,
      peerPID: connection.peerPID, peer: connection.peerProcess, hostKey: connection.bindings.last?.hostKey,
      hops: connection.bindings.count, data: request.data)
  }
}
