/// A minimal total reader of DER TLVs (X.690 §8.1): single-byte tags, definite lengths of at most four bytes.
/// `next()` returns nil at the end or at the first malformed element. keyhold's only DER reader.
public struct DERReader {
  /// One element: its tag byte and its content octets (a slice of the input).
  public typealias Element = (tag: UInt8, content: ArraySlice<UInt8>)

  /// `SEQUENCE` (constructed), X.690 §8.9.
  public static let sequence: UInt8 = 0x30
  /// `INTEGER`, X.690 §8.3.
  public static let integer: UInt8 = 0x02
  /// `OBJECT IDENTIFIER`, X.690 §8.19.
  public static let objectIdentifier: UInt8 = 0x06

  private var rest: ArraySlice<UInt8>

  /// A reader of the elements of `bytes`, one after another.
  public init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

  /// A reader of the elements of `bytes`, one after another.
  public init(_ bytes: [UInt8]) { rest = bytes[...] }

  /// The bytes not yet read.
  public var remaining: ArraySlice<UInt8> { rest }

  /// The next element, or nil at the end or at a malformed one.
  public mutating func next() -> Element? {
    guard let (tag, header, length) = Self.header(rest), length <= rest.count - header else { return nil }
    let start = rest.startIndex + header
    let content = rest[start..<(start + length)]
    rest = rest[(start + length)...]
    return (tag, content)
  }

  /// The tag, header size and content length an element starting `bytes` declares, or nil when the header itself
  /// is malformed or cut short. The content may be longer than what follows (see ``next()`` for a checked read).
  public static func header(_ bytes: ArraySlice<UInt8>) -> (tag: UInt8, headerLength: Int, length: Int)? {
    guard bytes.count >= 2 else { return nil }
    var i = bytes.startIndex
    let tag = bytes[i]
    guard tag & 0x1f != 0x1f else { return nil }
    i += 1
    var length = Int(bytes[i])
    i += 1
    if length & 0x80 != 0 {
      let n = length & 0x7f
      guard n >= 1, n <= 4, bytes.endIndex - i >= n else { return nil }
      length = 0
      for _ in 0..<n {
        length = length << 8 | Int(bytes[i])
        i += 1
      }
    }
    return (tag, i - bytes.startIndex, length)
  }

  /// The value of a non-negative INTEGER's content octets, saturating at `UInt64.max`.
  public static func unsignedValue(_ content: ArraySlice<UInt8>) -> UInt64 {
    var value: UInt64 = 0
    for b in content.drop(while: { $0 == 0 }) {
      if value > UInt64.max >> 8 { return .max }
      value = value << 8 | UInt64(b)
    }
    return value
  }
}
