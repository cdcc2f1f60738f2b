import COpenSSL

#if canImport(Glibc)
  import Glibc
#endif

/// Runs an OpenSSL private-key decoder with a passphrase callback wired to the caller's lazy passphrase, and turns
/// its outcome into a ``PrivateKey`` or a precise ``KeyError``.
enum OpenSSLDecode {
  /// OpenSSL's `pem_password_cb`.
  typealias PassphraseCallback =
    @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32

  /// State the C callback reaches through its `void *u` context pointer (a Swift closure cannot be a C callback).
  final class CallbackContext {
    let provider: PassphraseProvider
    /// The error the callback could not throw through C.
    var failure: (any Error)?
    init(_ provider: PassphraseProvider) { self.provider = provider }
  }

  /// Copies the passphrase into OpenSSL's buffer. Never prompts: without a passphrase source it reports failure.
  static let callback: PassphraseCallback = { buf, size, _, u in
    guard let buf, let u else { return -1 }
    let context = Unmanaged<CallbackContext>.fromOpaque(u).takeUnretainedValue()
    do {
      let secret = try context.provider.get()
      guard secret.count <= Int(size) else {
        context.failure = KeyError.unsupportedCipher("passphrase longer than \(size) bytes")
        return -1
      }
      secret.withUnsafeBytes { raw in
        if let base = raw.baseAddress, raw.count > 0 { memcpy(buf, base, raw.count) }
      }
      return Int32(secret.count)
    } catch {
      context.failure = error
      return -1
    }
  }

  /// Calls `decode(callback, context)`, which returns an owned `EVP_PKEY *` or nil, then converts the key.
  static func privateKey(
    label: String, provider: PassphraseProvider,
    _ decode: (PassphraseCallback, UnsafeMutableRawPointer) -> OpaquePointer?
  ) throws -> PrivateKey {
    // OpenSSL decodes private numbers straight into its secure heap; a full heap would read as a bad file.
    try EVP.requireSecureHeapRoom()
    let context = CallbackContext(provider)
    ERR_clear_error()
    let pkey = withExtendedLifetime(context) {
      decode(callback, Unmanaged.passUnretained(context).toOpaque())
    }
    guard let pkey else {
      let errors = drainErrors()
      if let failure = context.failure { throw failure }
      // An algorithm the loaded providers lack (PBES1 with MD5/DES, ...) is not a wrong passphrase. OpenSSL's
      // decoders also say "unsupported" when no decoder accepts a damaged unencrypted structure: that is only a
      // cipher problem when the key was encrypted (the passphrase was asked for) or an algorithm is named.
      if let unsupported = errors.first(where: { $0.reason == "unsupported" }) {
        if let name = algorithmName(unsupported.data) { throw KeyError.unsupportedCipher(name) }
        if provider.wasAsked { throw KeyError.unsupportedCipher("algorithm not available in OpenSSL") }
      }
      if provider.wasAsked { throw KeyError.wrongPassphrase }
      let reason = errors.last(where: { $0.reason != "unsupported" })?.reason ?? "not a valid key structure"
      throw KeyError.malformed("\(describe(label)) does not decode: \(reason)")
    }
    ERR_clear_error()
    defer { EVP_PKEY_free(pkey) }
    return try PrivateKey.fromEVP(pkey, comment: "")
  }

  /// What a PEM label (or `DER`) holds, in words for error messages.
  static func describe(_ label: String) -> String {
    switch label {
    case "EC PRIVATE KEY": return "EC private key (SEC1)"
    case "RSA PRIVATE KEY": return "RSA private key (PKCS#1)"
    case "PRIVATE KEY": return "PKCS#8 private key"
    case "ENCRYPTED PRIVATE KEY": return "encrypted PKCS#8 private key"
    case "DER": return "DER private key"
    default: return label
    }
  }

  /// The algorithm named in an "unsupported" error's data, `... Algorithm (PBKDF1 : 0), ...` → `PBKDF1`.
  static func algorithmName(_ data: String) -> String? {
    guard let start = data.range(of: "Algorithm (") else { return nil }
    let name = data[start.upperBound...].prefix { $0 != " " && $0 != ":" && $0 != ")" }
    return name.isEmpty ? nil : String(name)
  }

  /// Empties OpenSSL's error queue, returning each entry's reason string and extra data, oldest first.
  static func drainErrors() -> [(reason: String, data: String)] {
    var out: [(reason: String, data: String)] = []
    while true {
      var data: UnsafePointer<CChar>? = nil
      var flags: Int32 = 0
      let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
      if code == 0 { break }
      let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
      out.append((reason, data.map { String(cString: $0) } ?? ""))
      if out.count > 64 { break }
    }
    ERR_clear_error()
    return out
  }
}
