import KeyholdCrypto

/// The stable identity of a vault entry: 16 random bytes, kept across renames.
public struct VaultEntryID: Hashable, Sendable, CustomStringConvertible {
  /// Size of an id in bytes.
  public static let byteCount = 16
  /// The raw id.
  public let bytes: [UInt8]

  /// Wraps raw bytes; nil unless exactly ``byteCount`` long.
  public init?(bytes: [UInt8]) {
    guard bytes.count == Self.byteCount else { return nil }
    self.bytes = bytes
  }

  /// Parses the 32-digit lowercase hex form (``description``).
  public init?(hex: String) {
    guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else { return nil }
    self.bytes = bytes
  }

  /// The lowercase hex form.
  public var description: String { Hex.encode(bytes) }
}
