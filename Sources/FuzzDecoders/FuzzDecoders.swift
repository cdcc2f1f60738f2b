// libFuzzer entry point over every decoder that reads untrusted bytes. Built with `make fuzz`; in a plain build it
// links to a no-op. The first input byte picks the decoder, the rest is its input, so one corpus covers them all.
import SSHKeys
import SSHWire
import Vault

/// The fixed passphrase offered to encrypted inputs, so decryption paths run too.
private let fuzzPassphrase = SecureBytes(copying: Array("keyhold-test-passphrase".utf8))

/// Keeps each run cheap: a mutated bcrypt round or PBKDF2 iteration count must not turn one input into minutes of work.
private let fuzzLimits = KeyFile.Limits(maxBcryptRounds: 2, maxInputBytes: 1 << 16, maxPKCS8Iterations: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let selector = data[0]
  let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  switch selector % 8 {
  case 0, 1:
    // Key containers: PEM, DER, OpenSSH, .pub, RFC 4716, cloud tool wrappers.
    _ = try? KeyFile.parse(input, passphrase: { fuzzPassphrase }, limits: fuzzLimits)
  case 2:
    _ = try? KeyFile.parse(input, passphrase: nil as SecureBytes?, limits: fuzzLimits)
  case 3:
    _ = try? PublicKey(blob: input)
  case 4:
    var reader = SSHReader(input)
    _ = try? PrivateKey.decodeWire(&reader)
  case 5:
    readerOps(input)
  case 6:
    // FUZZ-SLOT agent: feed `input` to the agent frame decoder (SSHWire) and decode each frame as an agent message.
    break
  default:
    // Vault files: as given, and wrapped in a valid envelope (length and checksum) so mutations reach the sections.
    for candidate in [input, vaultEnvelope(input)] {
      if let file = try? VaultFile.decode(candidate), file.encode() != candidate {
        fatalError("vault decode then encode changed the bytes")
      }
    }
  }
  return 0
}

/// Drives SSHReader with the input itself choosing each read, so every method meets every kind of truncation.
private func readerOps(_ input: [UInt8]) {
  guard let plan = input.first else { return }
  var reader = SSHReader(Array(input.dropFirst()))
  var op = plan
  while !reader.isAtEnd {
    do {
      switch op % 9 {
      case 0: _ = try reader.readByte()
      case 1: _ = try reader.readBool()
      case 2: _ = try reader.readUInt32()
      case 3: _ = try reader.readUInt64()
      case 4: _ = try reader.readString()
      case 5: _ = try reader.readUTF8()
      case 6: _ = try reader.readPositiveMPInt()
      case 7: _ = try reader.readNameList()
      default: _ = try reader.readBytes(Int(op))
      }
    } catch {
      return
    }
    op = op &* 31 &+ 7
  }
}

/// `body` behind a version-1 vault prefix and before a correct checksum: a file whose envelope always checks out.
private func vaultEnvelope(_ body: [UInt8]) -> [UInt8] {
  var w = SSHWriter()
  w.writeBytes(VaultFile.magic)
  w.writeUInt32(VaultFile.currentVersion)
  let total = UInt64(VaultFile.prefixSize + body.count + VaultFile.checksumSize)
  w.writeUInt64(total)
  w.writeUInt64(~total)
  w.writeBytes(body)
  return w.bytes + Sodium.hash(w.bytes)
}
