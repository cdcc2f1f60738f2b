/// The rules for key names: what `import --name`, `rename` and the format decoder accept.
public enum VaultName {
  /// Longest name in UTF-8 bytes (EC2 key pair names are at most 255 characters).
  public static let maximumBytes = 255

  /// Throws ``VaultError/invalidName(_:)`` unless `name` is 1 to 255 UTF-8 bytes with no control character and no
  /// leading or trailing white space.
  public static func validate(_ name: String) throws(VaultError) {
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty else { throw .invalidName("the name is empty") }
    guard bytes.count <= maximumBytes else { throw .invalidName("longer than \(maximumBytes) bytes") }
    guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
      throw .invalidName("it contains a control character")
    }
    guard let first = name.unicodeScalars.first, let last = name.unicodeScalars.last,
      !first.properties.isWhitespace, !last.properties.isWhitespace
    else { throw .invalidName("it starts or ends with white space") }
  }
}
