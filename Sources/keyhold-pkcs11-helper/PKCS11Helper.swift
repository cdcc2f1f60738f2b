import Glibc
import KeyholdCrypto
import SSHWire

/// keyhold-pkcs11-helper: holds one PKCS #11 provider for the agent, in its own process, so that a provider that
/// crashes or corrupts memory takes only this process with it (the design of OpenSSH's ssh-pkcs11-helper(8)).
///
/// It speaks the framed protocol of SSHWire's `PKCS11HelperRequest` and `PKCS11HelperReply` on standard input and output, and prints nothing.
@main
struct PKCS11Helper {
  static func main() {
    // The PIN lives in this process: no core file may carry it.
    var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
    _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
    var session: TokenSession?
    while true {
      var request: [UInt8]
      do {
        guard let frame = try HelperIO.readFrame() else { break }
        request = frame
      } catch {
        _ = HelperIO.writeFrame(failure(error))
        break
      }
      let reply: [UInt8]
      do {
        reply = try handle(request, session: &session)
      } catch {
        reply = failure(error)
      }
      // The frame read from the agent (a LOAD carries the PIN) is the one buffer the reader looked into; nothing
      // else refers to it now, so it is wiped in place.
      SecureBytes.wipe(&request)
      guard HelperIO.writeFrame(reply) else { break }
    }
    session?.finalize()
    exit(0)
  }

  private static func handle(_ body: [UInt8], session: inout TokenSession?) throws(HelperFailure) -> [UInt8] {
    var request: PKCS11HelperRequest
    do throws(WireError) { request = try PKCS11HelperRequest.decode(body) } catch {
      throw HelperFailure(code: HelperFailure.badRequest, message: "malformed request: \(error)")
    }
    // The PIN's copies: the frame (wiped by the caller), the decoded array (moved out of the request before
    // anything else looks at it, so it is the array's only reference, then copied into guarded memory and wiped in
    // place), and the guarded copy, which the session keeps only for keys that want it at every signature.
    var raw = request.takePIN()
    let pin = raw.isEmpty ? nil : SecureBytes(consuming: &raw)
    switch request {
    case .load(let path, _):
      guard session == nil else {
        throw HelperFailure(code: HelperFailure.badRequest, message: "a provider is already loaded")
      }
      let loaded = try TokenSession.open(providerPath: path, pin: pin)
      session = loaded
      return PKCS11HelperReply.keys(loaded.keys.map { PKCS11HelperKey(blob: $0.blob, comment: $0.comment) }).encode()
    case .sign(let blob, let data, let flags):
      guard let loaded = session else {
        throw HelperFailure(code: HelperFailure.badRequest, message: "no provider is loaded")
      }
      return PKCS11HelperReply.signature(try loaded.sign(blob: blob, data: data, flags: flags)).encode()
    }
  }

  private static func failure(_ error: HelperFailure) -> [UInt8] {
    PKCS11HelperReply.failure(code: error.code, message: error.message).encode()
  }
}
