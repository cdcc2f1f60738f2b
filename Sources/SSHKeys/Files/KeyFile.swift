import KeyholdCrypto

/// Reads every key container keyhold accepts (keyhold-import(1)): PEM (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, legacy
/// encrypted PEM), DER, OpenSSH private keys, `.pub` lines, RFC 4716 public keys, X.509 SubjectPublicKeyInfo public
/// keys (PEM `PUBLIC KEY` or DER), and the euca2ools / aws cli wrappers around them. One entry point serves
/// `keyhold import` and `keyhold fingerprint`.
public enum KeyFile {
  /// Bounds on the work a hostile file can make the parser do.
  public struct Limits: Sendable, Equatable {
    /// The most bcrypt_pbkdf rounds an OpenSSH key may ask for; more is refused as malformed.
    public var maxBcryptRounds: Int
    /// The largest input accepted, in bytes.
    public var maxInputBytes: Int
    /// The most PBKDF2 iterations (and the largest scrypt N·r·p) an encrypted PKCS#8 key may ask for.
    public var maxPKCS8Iterations: Int

    /// Creates limits.
    public init(maxBcryptRounds: Int, maxInputBytes: Int, maxPKCS8Iterations: Int = 10_000_000) {
      self.maxBcryptRounds = maxBcryptRounds
      self.maxInputBytes = maxInputBytes
      self.maxPKCS8Iterations = maxPKCS8Iterations
    }

    /// Generous defaults: `ssh-keygen -a 100000` files (minutes of work), 1 MiB of input, and ten million PBKDF2
    /// iterations (`openssl pkcs8` writes 2,048; a few seconds of work at this limit).
    public static let `default` = Limits(maxBcryptRounds: 100_000, maxInputBytes: 1 << 20)
  }

  /// Parses a key file, or a cloud tool's output around one.
  ///
  /// - Parameters:
  ///   - data: the file contents.
  ///   - passphrase: called at most once, and only when the key is encrypted, so a CLI can prompt lazily. When it
  ///     is nil and the key is encrypted, parsing throws ``KeyError/passphraseRequired``.
  ///   - limits: bounds on the work the input may demand.
  /// - Throws: a ``KeyError`` (`.unrecognizedFormat`, `.malformed`, `.wrongPassphrase`, `.unsupportedKeyType`,
  ///   `.unsupportedCipher`, `.passphraseRequired`, ...), or whatever error `passphrase` throws, unchanged.
  public static func parse(
    _ data: [UInt8], passphrase: (() throws -> SecureBytes)? = nil, limits: Limits = .default
  ) throws -> ParsedKeyFile {
    let provider = PassphraseProvider(passphrase)
    do {
      return try parse(data, provider: provider, limits: limits, allowWrapper: true)
    } catch let e as PassphraseProvider.CallerError {
      throw e.underlying
    }
  }

  /// Like ``parse(_:passphrase:limits:)`` with a passphrase already in hand (nil: the key must not be encrypted).
  public static func parse(_ data: [UInt8], passphrase: SecureBytes?, limits: Limits = .default) throws(KeyError)
    -> ParsedKeyFile
  {
    let provider = PassphraseProvider(passphrase.map { p in { p } })
    do {
      return try parse(data, provider: provider, limits: limits, allowWrapper: true)
    } catch let e as KeyError {
      throw e
    } catch {
      throw .cryptoFailure("unexpected error: \(error)")  // unreachable: the closure cannot throw
    }
  }

  static func parse(_ data: [UInt8], provider: PassphraseProvider, limits: Limits, allowWrapper: Bool) throws
    -> ParsedKeyFile
  {
    guard !data.isEmpty else { throw KeyError.unrecognizedFormat("empty input") }
    guard data.count <= limits.maxInputBytes else {
      throw KeyError.unrecognizedFormat("input larger than \(limits.maxInputBytes) bytes")
    }
    let text = TextScan(data)

    if allowWrapper, var wrapped = try KeyFileWrappers.unwrap(data, text: text) {
      defer { SecureBytes.wipe(&wrapped.material) }
      var inner = try parse(wrapped.material, provider: provider, limits: limits, allowWrapper: false)
      guard inner.privateKey != nil else {
        throw KeyError.malformed("\(wrapped.wrapper.rawValue) output holds no private key")
      }
      inner.wrapper = wrapped.wrapper
      inner.cloudKeyName = wrapped.keyName
      inner.cloudFingerprint = wrapped.fingerprint
      inner.keyPairID = wrapped.keyPairID
      return inner
    }
    if data.starts(with: OpenSSHKeyFile.magic) {
      return try OpenSSHKeyFile.decode(binary: data, provider: provider, limits: limits)
    }
    if text.contains("-----BEGIN ") {
      return try PEMFile.parse(data, provider: provider, limits: limits)
    }
    if text.contains("---- BEGIN SSH2 PUBLIC KEY ----") {
      return try PublicKeyFile.parseRFC4716(data)
    }
    switch PEMFile.derShape(data) {
    case .whole:
      if SubjectPublicKeyInfoFile.matches(data) { return try SubjectPublicKeyInfoFile.parse(der: data, label: "DER") }
      return try PEMFile.parseDER(data, provider: provider, limits: limits)
    case .truncated: throw KeyError.malformed("truncated DER: the outer SEQUENCE is longer than the input")
    case .notDER: break
    }
    if let line = PublicKeyFile.firstKeyLine(data) {
      return try PublicKeyFile.parseLine(line)
    }
    if text.contains("-----END ") {
      throw KeyError.malformed("PEM END line without a BEGIN line")
    }
    throw KeyError.unrecognizedFormat("no PEM block, OpenSSH key, public key line or cloud tool output found")
  }
}

/// Calls the caller's passphrase closure at most once and remembers the answer.
final class PassphraseProvider {
  /// Carries an error thrown by the caller's closure through the parsers unchanged.
  struct CallerError: Error {
    let underlying: any Error
  }

  private let source: (() throws -> SecureBytes)?
  private var cached: SecureBytes?
  /// True once the passphrase was asked for.
  private(set) var wasAsked = false

  init(_ source: (() throws -> SecureBytes)?) { self.source = source }

  /// The passphrase; throws ``KeyError/passphraseRequired`` when there is no source.
  func get() throws -> SecureBytes {
    if let cached { return cached }
    guard let source else { throw KeyError.passphraseRequired }
    wasAsked = true
    do {
      let p = try source()
      cached = p
      return p
    } catch {
      throw CallerError(underlying: error)
    }
  }
}

/// Cheap substring checks over raw bytes that may not be UTF-8.
struct TextScan {
  let bytes: [UInt8]
  init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// True when the ASCII `needle` occurs anywhere.
  func contains(_ needle: String) -> Bool { firstIndex(of: needle) != nil }

  /// The index where the ASCII `needle` first occurs at or after `from`.
  func firstIndex(of needle: String, from: Int = 0) -> Int? {
    let n = Array(needle.utf8)
    guard !n.isEmpty, bytes.count >= n.count, from >= 0 else { return nil }
    var i = from
    let last = bytes.count - n.count
    while i <= last {
      if bytes[i] == n[0] {
        var j = 1
        while j < n.count && bytes[i + j] == n[j] { j += 1 }
        if j == n.count { return i }
      }
      i += 1
    }
    return nil
  }
}
