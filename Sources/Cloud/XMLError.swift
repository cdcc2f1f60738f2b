/// Why a byte string is not well-formed enough to read as XML.
public enum XMLError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The input ended inside a tag, comment or element.
  case unexpectedEnd(offset: Int)
  /// An end tag does not match the open element.
  case mismatchedTag(expected: String, found: String, offset: Int)
  /// An entity reference is unknown or names an invalid character.
  case invalidEntity(offset: Int)
  /// A tag or attribute is malformed.
  case malformedTag(offset: Int)
  /// Character data or a second element appears outside the single root element.
  case contentOutsideRoot(offset: Int)
  /// There is no root element at all.
  case noRootElement
  /// Elements nest deeper than the scanner allows.
  case tooDeep(offset: Int)

  /// A lowercase one-line description.
  public var description: String {
    switch self {
    case .unexpectedEnd(let o): return "xml: unexpected end of input at byte \(o)"
    case .mismatchedTag(let e, let f, let o): return "xml: end tag </\(f)> does not close <\(e)> at byte \(o)"
    case .invalidEntity(let o): return "xml: invalid entity reference at byte \(o)"
    case .malformedTag(let o): return "xml: malformed tag at byte \(o)"
    case .contentOutsideRoot(let o): return "xml: content outside the root element at byte \(o)"
    case .noRootElement: return "xml: no root element"
    case .tooDeep(let o): return "xml: elements nested too deeply at byte \(o)"
    }
  }
}
