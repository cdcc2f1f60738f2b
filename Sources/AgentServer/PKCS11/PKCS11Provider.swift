import KeyholdCrypto
import SSHKeys
import SSHWire
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A key a PKCS #11 provider offers: its SSH public key and the comment the agent lists (the token's CKA_LABEL).
public struct PKCS11Key: Sendable, Hashable {
  /// The validated public key.
  public let publicKey: PublicKey
  /// The key's label on the token (may be empty).
  public let comment: String

  /// The SSH public key blob.
  public var blob: [UInt8] { publicKey.blob }
}

/// How long the agent waits for the helper's answer before it kills it: a provider whose C_Login or C_Sign never
/// returns costs one request, not an agent thread. A helper killed this way is not restarted (its token may be stuck
/// as well): the agent drops the provider's keys and logs why; `ssh-add -s` loads it again.
public struct PKCS11Deadlines: Sendable, Equatable {
  /// LOAD: C_Initialize, C_Login on every token, the key search.
  public var load: Duration
  /// SIGN: one C_Sign.
  public var sign: Duration

  /// Creates deadlines.
  public init(load: Duration, sign: Duration) {
    self.load = load
    self.sign = sign
  }

  /// 30 s each: far longer than a token takes, short enough that a stuck one is noticed.
  public static let standard = PKCS11Deadlines(load: .seconds(30), sign: .seconds(30))
}

/// A PKCS #11 provider loaded into its own keyhold-pkcs11-helper process (ssh-agent(1)'s design: a provider that
/// crashes takes only the helper with it, and the agent reports a one-line error).
///
/// `load` resolves the provider's canonical path, checks it against the allow-list, starts the helper, and has it
/// log into every token with the PIN and list the RSA and ECDSA keys that can sign. `sign` sends one request to the
/// helper; requests are serialised. `unload` (or the last reference going away) ends the helper, which finalizes the
/// provider. After the helper has died every call fails with `PKCS11Error.helperExited`; load the provider again.
public final class PKCS11Provider: Sendable {
  /// The helper's file name, looked for next to the running executable.
  public static let helperName = "keyhold-pkcs11-helper"

  private enum State {
    case running(PKCS11HelperProcess)
    case exited(String)
    case unloaded
  }

  /// The provider's canonical path (what ssh-add -e must name to remove it).
  public let path: String
  /// The keys the tokens offered at load time, in the provider's order, without duplicates.
  public let keys: [PKCS11Key]
  /// How long a signature may take before the helper is killed.
  public let signDeadline: Duration
  private let state: Mutex<State>

  private init(path: String, keys: [PKCS11Key], process: PKCS11HelperProcess, signDeadline: Duration) {
    self.path = path
    self.keys = keys
    self.signDeadline = signDeadline
    self.state = Mutex(.running(process))
  }

  deinit { unload() }

  /// Where the helper is: `override` when given (the agent's caller may take it from an environment variable, as
  /// OpenSSH's SSH_PKCS11_HELPER), else next to the running executable (/proc/self/exe).
  public static func helperPath(override: String? = nil) -> String {
    if let override, !override.isEmpty { return override }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return helperName }
    let executable = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = executable.lastIndex(of: "/") else { return helperName }
    return String(executable[..<slash]) + "/" + helperName
  }

  /// Loads the provider at `path` with `pin` through a new helper process.
  ///
  /// - Parameters:
  ///   - helper: the helper executable; nil means `helperPath()`.
  ///   - allowList: the canonical path must match it (ssh-agent -P); the default is ssh-agent's.
  ///   - environment: the helper's environment; nil passes this process's own.
  ///   - deadlines: how long the helper may take to answer LOAD and each SIGN before it is killed.
  public static func load(
    path: String, pin: [UInt8], helper: String? = nil, allowList: PKCS11AllowList = .default,
    environment: [String: String]? = nil, deadlines: PKCS11Deadlines = .standard
  ) throws(PKCS11Error) -> PKCS11Provider {
    let canonical = try PKCS11AllowList.canonicalPath(path)
    guard allowList.permits(path: canonical) else { throw .providerNotAllowed(path: canonical) }
    let process = try PKCS11HelperProcess(helper: helper ?? helperPath(), environment: environment)
    // The PIN's copies on this side: the caller's (the decoded request, wiped with the connection's frame buffer),
    // this LOAD body, and the framed copy `exchange` sends; the last two are wiped as soon as they are sent. Both
    // are fresh arrays with no other reference, so the wipe reaches their bytes.
    var body = PKCS11HelperRequest.load(providerPath: canonical, pin: pin).encode()
    defer { SecureBytes.wipe(&body) }
    // A failed exchange has already reaped the helper.
    let reply = try process.exchange(body, deadline: deadlines.load)
    let keys: [PKCS11Key]
    do throws(PKCS11Error) {
      keys = try decodeKeys(reply)
    } catch {
      process.finish()
      throw error
    }
    return PKCS11Provider(path: canonical, keys: keys, process: process, signDeadline: deadlines.sign)
  }

  /// Signs `data` with the provider key `blob`, as an agent sign request with `flags` (SSH_AGENT_RSA_SHA2_256 = 2,
  /// SSH_AGENT_RSA_SHA2_512 = 4; PROTOCOL.agent); returns the SSH signature blob.
  public func sign(blob: [UInt8], data: [UInt8], flags: UInt32) throws(PKCS11Error) -> [UInt8] {
    guard keys.contains(where: { $0.blob == blob }) else { throw .noSuchKey }
    let body = PKCS11HelperRequest.sign(keyBlob: blob, data: data, flags: flags).encode()
    let reply = try state.withLock { state throws(PKCS11Error) -> [UInt8] in
      switch state {
      case .unloaded: throw .unloaded
      case .exited(let reason): throw .helperExited(reason: reason)
      case .running(let process):
        do throws(PKCS11Error) {
          return try process.exchange(body, deadline: signDeadline)
        } catch {
          // exchange reaped the helper: later calls report how it ended without trying again.
          if case .helperExited(let reason) = error {
            state = .exited(reason)
          } else {
            state = .exited("sent a malformed frame and was stopped")
          }
          throw error
        }
      }
    }
    switch try Self.decode(reply) {
    case .signature(let signature):
      do { _ = try SignatureBlob(decoding: signature) } catch { throw .helperProtocol("signature reply: \(error)") }
      return signature
    case .failure(let code, let message): throw Self.failure(code: code, message: message)
    case .keys: throw .helperProtocol("a keys reply to a sign request")
    }
  }

  /// Ends the helper (it finalizes the provider). Later calls fail with `PKCS11Error.unloaded`.
  public func unload() {
    let process: PKCS11HelperProcess? = state.withLock { state in
      defer { state = .unloaded }
      if case .running(let process) = state { return process }
      return nil
    }
    process?.finish()
  }

  /// False once unloaded or once the helper has died.
  public var isLoaded: Bool {
    state.withLock { state in
      if case .running = state { return true }
      return false
    }
  }

  /// The pid of the running helper (tests kill it to stand for a provider crash).
  public var helperPID: Int32? {
    state.withLock { state in
      if case .running(let process) = state { return process.pid }
      return nil
    }
  }

  /// The helper's reply, or why it is not one.
  private static func decode(_ reply: [UInt8]) throws(PKCS11Error) -> PKCS11HelperReply {
    do throws(WireError) { return try PKCS11HelperReply.decode(reply) } catch {
      throw .helperProtocol("\(error)")
    }
  }

  /// The keys of a KEYS reply. Keys SSHKeys rejects (an RSA modulus under 2048 bits, a point off its curve) are left
  /// out, as ssh-agent leaves out keys it could not use.
  private static func decodeKeys(_ reply: [UInt8]) throws(PKCS11Error) -> [PKCS11Key] {
    switch try decode(reply) {
    case .keys(let offered):
      var keys: [PKCS11Key] = []
      for offer in offered {
        guard let key = try? PublicKey(blob: offer.blob), !key.isCertificate,
          !keys.contains(where: { $0.publicKey == key })
        else { continue }
        keys.append(PKCS11Key(publicKey: key, comment: oneLine(offer.comment)))
      }
      return keys
    case .failure(let code, let message): throw failure(code: code, message: message)
    case .signature: throw .helperProtocol("a signature reply to a load request")
    }
  }

  /// A FAILURE reply as a typed error.
  private static func failure(code: UInt32, message raw: String) -> PKCS11Error {
    let message = oneLine(raw)
    switch code {
    case 1: return .providerFailed(message)
    case 2: return .incorrectPIN
    case 3: return .pinLocked
    case 4: return .noSuchKey
    case 5: return .signFailed(message)
    default: return .helperProtocol(message)
    }
  }

  /// Text from the helper or the token made safe for a one-line message: control characters become spaces, and it
  /// is cut at 200 characters.
  private static func oneLine(_ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars.prefix(200) {
      scalars.append(scalar.value < 0x20 || scalar.value == 0x7f ? " " : scalar)
    }
    return String(scalars)
  }
}
