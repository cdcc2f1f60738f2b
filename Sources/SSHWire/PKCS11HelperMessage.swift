/// The framed protocol between the agent and keyhold-pkcs11-helper, spoken over the helper's standard input and
/// output (one socket, both ends); both sides encode and decode it here and nowhere else.
///
/// Every message, both ways, is `uint32 length` (big-endian, the length of what follows, 1 to 256 KiB) then
/// `byte type` and the type's fields, encoded as SSH wire types (RFC 4251 §5) like the agent protocol itself
/// (PROTOCOL.agent). The agent sends one request and reads one reply before it sends the next.
///
///     agent → helper
///       1   LOAD       string provider path, string pin      (once, first)
///       2   SIGN       string key blob, string data, uint32 flags (SSH_AGENT_RSA_SHA2_256 = 2, _512 = 4)
///     helper → agent
///       128 KEYS       uint32 count, count × (string key blob, string comment)
///       129 SIGNATURE  string signature blob (RFC 4253 §6.6, RFC 8332 §3, RFC 5656 §3.1.2)
///       130 FAILURE    uint32 code, string message (one line)
///
/// Failure codes: 1 the provider could not be loaded or initialised, 2 the PIN is incorrect, 3 the PIN is locked,
/// 4 no such key, 5 the token failed to sign, 6 a malformed or unexpected request. End of file on its input makes
/// the helper finalize the provider and exit 0; a provider that crashes takes only the helper with it.
public enum PKCS11HelperFrame {
  /// The largest frame body either side accepts, as the agent's own frame cap.
  public static let maxBody = 256 * 1024
  /// The most keys a KEYS reply may carry (far more than any token holds; bounds the work a reply can cause).
  public static let maxKeys = 4096

  /// `body` with its `uint32 length` prefix.
  public static func frame(_ body: [UInt8]) -> [UInt8] {
    var writer = SSHWriter(capacity: body.count + 4)
    writer.writeString(body)
    return writer.bytes
  }

  /// The body length a 4-byte frame header announces; throws when it is zero or over ``maxBody``.
  public static func bodyLength(header: [UInt8]) throws(WireError) -> Int {
    var reader = SSHReader(header)
    let length = try reader.readUInt32()
    try reader.expectEnd()
    guard length > 0, Int(length) <= maxBody else { throw .badFrameLength(length) }
    return Int(length)
  }
}

/// A request from the agent to the helper.
public enum PKCS11HelperRequest: Equatable, Sendable {
  /// LOAD: dlopen the provider at the path and log into every token with the PIN (empty: no PIN).
  case load(providerPath: String, pin: [UInt8])
  /// SIGN: sign `data` with the key `keyBlob`, with agent sign-request `flags`.
  case sign(keyBlob: [UInt8], data: [UInt8], flags: UInt32)

  /// The LOAD message type.
  public static let loadType: UInt8 = 1
  /// The SIGN message type.
  public static let signType: UInt8 = 2

  /// Moves a LOAD's PIN out of the request, leaving an empty one, and returns it. The returned array is then the
  /// only reference to its storage, so the caller can wipe it in place (a copy kept in the request would survive).
  public mutating func takePIN() -> [UInt8] {
    guard case .load(let path, let pin) = self else { return [] }
    self = .load(providerPath: path, pin: [])
    return pin
  }

  /// The frame body. A LOAD body carries the PIN: the caller wipes it once sent.
  public func encode() -> [UInt8] {
    var writer: SSHWriter
    switch self {
    case .load(let path, let pin):
      writer = SSHWriter(capacity: 9 + path.utf8.count + pin.count)
      writer.writeByte(Self.loadType)
      writer.writeString(path)
      writer.writeString(pin)
    case .sign(let blob, let data, let flags):
      writer = SSHWriter(capacity: 13 + blob.count + data.count)
      writer.writeByte(Self.signType)
      writer.writeString(blob)
      writer.writeString(data)
      writer.writeUInt32(flags)
    }
    return writer.bytes
  }

  /// Decodes a frame body; every field is bounds-checked and nothing may follow the last one.
  public static func decode(_ body: [UInt8]) throws(WireError) -> PKCS11HelperRequest {
    var reader = SSHReader(body)
    let request: PKCS11HelperRequest
    switch try reader.readByte() {
    case loadType:
      request = .load(providerPath: try reader.readUTF8(), pin: try reader.readString())
    case signType:
      request = .sign(keyBlob: try reader.readString(), data: try reader.readString(), flags: try reader.readUInt32())
    case let type:
      throw .invalidValue("pkcs11 helper request type \(type)")
    }
    try reader.expectEnd()
    return request
  }
}

/// One key a KEYS reply offers: the SSH public key blob (not validated here) and its comment (the token's label).
public struct PKCS11HelperKey: Equatable, Sendable {
  /// The SSH public key blob.
  public var blob: [UInt8]
  /// The comment the agent lists.
  public var comment: String

  /// Creates a key entry.
  public init(blob: [UInt8], comment: String) {
    self.blob = blob
    self.comment = comment
  }
}

/// A reply from the helper to the agent.
public enum PKCS11HelperReply: Equatable, Sendable {
  /// KEYS: the keys the tokens offer, answering LOAD.
  case keys([PKCS11HelperKey])
  /// SIGNATURE: an SSH signature blob, answering SIGN.
  case signature([UInt8])
  /// FAILURE: a failure code (see ``PKCS11HelperFrame``) and a one-line message.
  case failure(code: UInt32, message: String)

  /// The KEYS message type.
  public static let keysType: UInt8 = 128
  /// The SIGNATURE message type.
  public static let signatureType: UInt8 = 129
  /// The FAILURE message type.
  public static let failureType: UInt8 = 130

  /// The frame body.
  public func encode() -> [UInt8] {
    var writer = SSHWriter()
    switch self {
    case .keys(let keys):
      writer.writeByte(Self.keysType)
      writer.writeUInt32(UInt32(keys.count))
      for key in keys {
        writer.writeString(key.blob)
        writer.writeString(key.comment)
      }
    case .signature(let signature):
      writer.writeByte(Self.signatureType)
      writer.writeString(signature)
    case .failure(let code, let message):
      writer.writeByte(Self.failureType)
      writer.writeUInt32(code)
      writer.writeString(message)
    }
    return writer.bytes
  }

  /// Decodes a frame body. Comments and messages that are not UTF-8 are decoded with replacement characters (a
  /// token label is whatever the token says); a KEYS count above ``PKCS11HelperFrame/maxKeys`` or beyond what the
  /// body can hold is refused before any key is read.
  public static func decode(_ body: [UInt8]) throws(WireError) -> PKCS11HelperReply {
    var reader = SSHReader(body)
    let reply: PKCS11HelperReply
    switch try reader.readByte() {
    case keysType:
      let count = try reader.readUInt32()
      // Each key takes at least two empty strings (8 bytes).
      guard count <= PKCS11HelperFrame.maxKeys, Int(count) <= reader.remaining / 8 else {
        throw .invalidValue("pkcs11 helper key count \(count)")
      }
      var keys: [PKCS11HelperKey] = []
      keys.reserveCapacity(Int(count))
      for _ in 0..<count {
        let blob = try reader.readString()
        let comment = String(decoding: try reader.readString(), as: UTF8.self)
        keys.append(PKCS11HelperKey(blob: blob, comment: comment))
      }
      reply = .keys(keys)
    case signatureType:
      reply = .signature(try reader.readString())
    case failureType:
      reply = .failure(code: try reader.readUInt32(), message: String(decoding: try reader.readString(), as: UTF8.self))
    case let type:
      throw .invalidValue("pkcs11 helper reply type \(type)")
    }
    try reader.expectEnd()
    return reply
  }
}
