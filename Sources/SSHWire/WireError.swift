/// A decoding failure in SSH wire data. Every reader method throws one of these instead of trapping.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The input ended before a field of `needed` bytes could be read (`available` were left).
  case truncated(needed: Int, available: Int)
  /// A length prefix is larger than any field keyhold accepts.
  case lengthTooLarge(UInt32)
  /// An mpint is not in the canonical form of RFC 4251 section 5 (needless leading byte, or negative).
  case nonCanonicalMPInt
  /// A boolean byte other than 0 or 1.
  case invalidBool(UInt8)
  /// A string that had to be UTF-8 (a name, a comment) is not.
  case invalidUTF8
  /// Bytes were left over after a structure that must fill its container exactly.
  case trailingBytes(Int)
  /// A field had a value the structure does not allow.
  case invalidValue(String)
  /// An agent frame is longer than the 256 KiB cap or of length zero.
  case badFrameLength(UInt32)
  /// A key or signature names an algorithm keyhold does not decode.
  case unknownKeyType(String)
  /// A key field has the wrong size or shape (an Ed25519 key that is not 32 bytes, a compressed EC point, ...).
  case badKeyField(String)

  public var description: String {
    switch self {
    case .truncated(let needed, let available):
      return "truncated data: needed \(needed) bytes, \(available) left"
    case .lengthTooLarge(let n): return "length field too large: \(n)"
    case .nonCanonicalMPInt: return "mpint is not canonical"
    case .invalidBool(let b): return "invalid boolean byte \(b)"
    case .invalidUTF8: return "string is not valid UTF-8"
    case .trailingBytes(let n): return "\(n) unexpected trailing bytes"
    case .invalidValue(let what): return "invalid value: \(what)"
    case .badFrameLength(let n): return "agent frame length \(n) outside 1...262144"
    case .unknownKeyType(let name): return "unknown key type \(name)"
    case .badKeyField(let what): return "bad key field: \(what)"
    }
  }
}
