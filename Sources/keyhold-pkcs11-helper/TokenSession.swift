import CPKCS11
import Glibc
import KeyholdCrypto
import SSHWire

/// One key found on a token: its SSH public blob, the comment the agent lists, and what signing with it needs.
struct TokenKey {
  enum Kind {
    case rsa(modulusBytes: Int)
    case ecdsa(PublicKeyBlob.Curve)
  }

  let blob: [UInt8]
  let comment: String
  let kind: Kind
  let session: CK_SESSION_HANDLE
  let handle: CK_OBJECT_HANDLE
  /// CKA_ALWAYS_AUTHENTICATE: the token wants the PIN again (context-specific login) for every signature.
  let alwaysAuthenticate: Bool
}

/// A loaded provider: the library, its function list, one logged-in session per token, and the keys found.
struct TokenSession {
  let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
  let library: UnsafeMutableRawPointer
  let sessions: [CK_SESSION_HANDLE]
  let keys: [TokenKey]
  /// The PIN, in guarded memory, kept only when a key wants it again for every signature (CKA_ALWAYS_AUTHENTICATE);
  /// otherwise released (and wiped) once C_Login is done.
  let pin: SecureBytes?

  /// dlopen()s the provider, initialises it, logs into every initialised token with `pin` and collects the RSA and
  /// ECDSA private keys that can sign, each with its public half.
  static func open(providerPath: String, pin: SecureBytes?) throws(HelperFailure) -> TokenSession {
    guard let library = dlopen(providerPath, RTLD_NOW | RTLD_LOCAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
      throw HelperFailure(code: HelperFailure.loadFailed, message: "cannot load \(providerPath): \(reason)")
    }
    guard let symbol = dlsym(library, "C_GetFunctionList") else {
      dlclose(library)
      throw HelperFailure(
        code: HelperFailure.loadFailed, message: "\(providerPath) has no C_GetFunctionList")
    }
    let getFunctionList = unsafeBitCast(symbol, to: CK_C_GetFunctionList.self)
    var listPointer: UnsafeMutablePointer<CK_FUNCTION_LIST>?
    let rv = getFunctionList(&listPointer)
    guard rv == CKR_OK, let functions = listPointer else {
      dlclose(library)
      throw HelperFailure(code: HelperFailure.loadFailed, message: "C_GetFunctionList failed: \(rvName(rv))")
    }
    let p11 = Cryptoki(functions: functions)
    do throws(HelperFailure) {
      try p11.initialize()
    } catch {
      dlclose(library)
      throw error
    }
    var sessions: [CK_SESSION_HANDLE] = []
    var keys: [TokenKey] = []
    do throws(HelperFailure) {
      for slot in try p11.slotsWithTokens() {
        guard let info = try? p11.tokenInfo(slot), info.flags & CKF_TOKEN_INITIALIZED != 0 else { continue }
        let session = try p11.openSession(slot)
        sessions.append(session)
        if info.flags & CKF_LOGIN_REQUIRED != 0 {
          try p11.login(session, pin: pin, protectedPath: info.flags & CKF_PROTECTED_AUTHENTICATION_PATH != 0)
        }
        for key in try p11.signingKeys(session) where !keys.contains(where: { $0.blob == key.blob }) {
          keys.append(key)
        }
      }
    } catch {
      for session in sessions { _ = functions.pointee.C_CloseSession?(session) }
      _ = functions.pointee.C_Finalize?(nil)
      dlclose(library)
      throw error
    }
    let kept = keys.contains(where: \.alwaysAuthenticate) ? pin : nil
    return TokenSession(functions: functions, library: library, sessions: sessions, keys: keys, pin: kept)
  }

  /// Signs `data` with the key whose public blob is `blob`; returns an SSH signature blob.
  func sign(blob: [UInt8], data: [UInt8], flags: UInt32) throws(HelperFailure) -> [UInt8] {
    guard let key = keys.first(where: { $0.blob == blob }) else {
      throw HelperFailure(code: HelperFailure.noSuchKey, message: "no such key on the token")
    }
    let p11 = Cryptoki(functions: functions)
    switch key.kind {
    case .rsa(let modulusBytes):
      let scheme = RSAScheme(flags: flags)
      let input = scheme.digestInfoPrefix + Digest.hash(scheme.digest, data)
      var raw = try p11.sign(key, mechanism: CKM_RSA_PKCS, input: input, pin: pin)
      // RFC 8332 §3: the signature is exactly as long as the modulus; a provider may drop leading zeros.
      guard raw.count <= modulusBytes else {
        throw HelperFailure(code: HelperFailure.signFailed, message: "rsa signature is longer than the modulus")
      }
      raw = [UInt8](repeating: 0, count: modulusBytes - raw.count) + raw
      return SignatureBlob(algorithm: scheme.name, signature: raw).encoded()
    case .ecdsa(let curve):
      let digest: Digest.Algorithm
      switch curve {
      case .nistp256: digest = .sha256
      case .nistp384: digest = .sha384
      case .nistp521: digest = .sha512
      }
      let raw = try p11.sign(key, mechanism: CKM_ECDSA, input: Digest.hash(digest, data), pin: pin)
      guard let values = ECDSASignature.values(raw, fieldBytes: curve.fieldBytes) else {
        throw HelperFailure(code: HelperFailure.signFailed, message: "the token returned a malformed ecdsa signature")
      }
      return SignatureBlob(algorithm: curve.keyType, signature: values.encoded()).encoded()
    }
  }

  /// Closes the sessions, finalizes the provider and unloads it.
  func finalize() {
    for session in sessions { _ = functions.pointee.C_CloseSession?(session) }
    _ = functions.pointee.C_Finalize?(nil)
    dlclose(library)
  }
}

/// The RSA signature scheme an agent sign request's flags ask for (PROTOCOL.agent §4.5.1, RFC 8332 §3).
struct RSAScheme {
  let name: String
  let digest: Digest.Algorithm
  /// The DER encoding of DigestInfo up to the digest itself (RFC 8017 §9.2, note 1).
  let digestInfoPrefix: [UInt8]

  /// SSH_AGENT_RSA_SHA2_512 wins over SSH_AGENT_RSA_SHA2_256, as in keyhold's own signing; neither means SHA-1.
  init(flags: UInt32) {
    if flags & 0x04 != 0 {
      name = "rsa-sha2-512"
      digest = .sha512
      digestInfoPrefix = [
        0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
        0x40,
      ]
    } else if flags & 0x02 != 0 {
      name = "rsa-sha2-256"
      digest = .sha256
      digestInfoPrefix = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
        0x20,
      ]
    } else {
      name = "ssh-rsa"
      digest = .sha1
      digestInfoPrefix = [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14]
    }
  }
}

/// The name of a CK_RV for messages (the spec's names for the ones a user can act on).
func rvName(_ rv: CK_RV) -> String {
  switch rv {
  case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT"
  case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED"
  case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE"
  case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD"
  default: return "CK_RV 0x" + String(rv, radix: 16)
  }
}
