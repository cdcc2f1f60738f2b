import Glibc
import KeyholdCrypto
import SSHWire

/// keyhold-pkcs11-helper: holds one PKCS #11 provider for the agent, in its own process, so that a provider that
/// crashes or corrupts memory takes only this process with it (the design of OpenSSH's ssh-pkcs11-helper(8)).
///
/// It speaks the framed protocol of `HelperMessage` on standard input and output, and prints nothing.
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

  private static func handle(_ request: [UInt8], session: inout TokenSession?) throws(HelperFailure) -> [UInt8] {
    var reader = SSHReader(request)
    do {
      let type = try reader.readByte()
      switch type {
      case HelperMessage.load:
        let path = try reader.readUTF8()
        // The PIN's copies: the frame (wiped by the caller), this array (moved into guarded memory and wiped here),
        // and the guarded copy, which the session keeps only for keys that want it at every signature.
        var raw = try reader.readString()
        let pin = raw.isEmpty ? nil : SecureBytes(consuming: &raw)
        try reader.expectEnd()
        guard session == nil else {
          throw HelperFailure(code: HelperFailure.badRequest, message: "a provider is already loaded")
        }
        let loaded = try TokenSession.open(providerPath: path, pin: pin)
        session = loaded
        var writer = SSHWriter()
        writer.writeByte(HelperMessage.keys)
        writer.writeUInt32(UInt32(loaded.keys.count))
        for key in loaded.keys {
          writer.writeString(key.blob)
          writer.writeString(key.comment)
        }
        return writer.bytes
      case HelperMessage.sign:
        let blob = try reader.readString()
        let data = try reader.readString()
        let flags = try reader.readUInt32()
        try reader.expectEnd()
        guard let loaded = session else {
          throw HelperFailure(code: HelperFailure.badRequest, message: "no provider is loaded")
        }
        let signature = try loaded.sign(blob: blob, data: data, flags: flags)
        var writer = SSHWriter()
        writer.writeByte(HelperMessage.signature)
        writer.writeString(signature)
        return writer.bytes
      default:
        throw HelperFailure(code: HelperFailure.badRequest, message: "unknown request type \(type)")
      }
    } catch let error as WireError {
      throw HelperFailure(code: HelperFailure.badRequest, message: "malformed request: \(error)")
    } catch let error as HelperFailure {
      throw error
    } catch {
      throw HelperFailure(code: HelperFailure.badRequest, message: "\(error)")
    }
  }

  private static func failure(_ error: HelperFailure) -> [UInt8] {
    var writer = SSHWriter()
    writer.writeByte(HelperMessage.failure)
    writer.writeUInt32(error.code)
    writer.writeString(error.message)
    return writer.bytes
  }
}
