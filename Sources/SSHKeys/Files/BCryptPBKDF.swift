import KeyholdCrypto

/// OpenBSD's `bcrypt_pbkdf`, the key derivation of OpenSSH's encrypted private keys (PROTOCOL.key, kdf "bcrypt").
///
/// A PBKDF2-like construction in which the PRF is bcrypt's expensive Blowfish key schedule over SHA-512 digests of
/// the passphrase and salt, and whose output bytes are interleaved across blocks rather than concatenated.
public enum BCryptPBKDF {
  /// Why a derivation was refused.
  public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter is outside what OpenSSH accepts (empty passphrase or salt, zero rounds, too long a key).
    case invalidParameter(String)
    /// Guarded memory for the derived key could not be had.
    case outOfSecureMemory

    public var description: String {
      switch self {
      case .invalidParameter(let why): return "invalid bcrypt_pbkdf parameter: \(why)"
      case .outOfSecureMemory: return "out of secure memory"
      }
    }
  }

  /// Bytes of one bcrypt hash output block.
  static let hashSize = 32
  /// The fixed plaintext each bcrypt hash encrypts 64 times.
  static let magic = Array("OxychromaticBlowfishSwatDynamite".utf8)

  /// Derives `keyLength` bytes from `passphrase` and `salt` with `rounds` iterations, into guarded memory.
  ///
  /// Limits follow OpenSSH's copy of bcrypt_pbkdf.c: a non-empty passphrase and salt (salt at most 1 MiB), at least
  /// one round, and 1...1024 output bytes.
  public static func derive(
    passphrase: SecureBytes, salt: [UInt8], rounds: Int, keyLength: Int
  ) throws(Failure) -> SecureBytes {
    guard passphrase.count > 0 else { throw .invalidParameter("empty passphrase") }
    guard !salt.isEmpty, salt.count <= 1 << 20 else { throw .invalidParameter("salt length \(salt.count)") }
    guard rounds >= 1 else { throw .invalidParameter("rounds \(rounds)") }
    guard keyLength >= 1, keyLength <= hashSize * hashSize else { throw .invalidParameter("key length \(keyLength)") }

    let stride = (keyLength + hashSize - 1) / hashSize
    let amount = (keyLength + stride - 1) / stride

    // Scratch: sha2pass(64) sha2salt(64) out(32) tmpout(32), all wiped at the end.
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 64 + 64 + 32 + 32)
    scratch.initialize(repeating: 0, count: 192)
    let sha2pass = scratch
    let sha2salt = scratch + 64
    let out = scratch + 128
    let tmpout = scratch + 160
    var countSalt = salt + [0, 0, 0, 0]
    let cipher = Blowfish()
    defer {
      SecureBytes.wipe(UnsafeMutableRawBufferPointer(start: scratch, count: 192))
      scratch.deallocate()
      cipher.wipe()
    }

    passphrase.withUnsafeBytes { pw in
      Digest.hash(.sha512, pw, into: UnsafeMutableRawBufferPointer(start: sha2pass, count: 64))
    }

    let derived = try? SecureBytes.allocate(count: keyLength) { key in
      var remaining = keyLength
      var count: UInt32 = 1
      while remaining > 0 {
        let n = countSalt.count
        countSalt[n - 4] = UInt8(count >> 24)
        countSalt[n - 3] = UInt8((count >> 16) & 0xff)
        countSalt[n - 2] = UInt8((count >> 8) & 0xff)
        countSalt[n - 1] = UInt8(count & 0xff)
        countSalt.withUnsafeBytes { cs in
          Digest.hash(
            .sha512, UnsafeRawBufferPointer(rebasing: cs[0..<n]),
            into: UnsafeMutableRawBufferPointer(start: sha2salt, count: 64))
        }
        hash(cipher, sha2pass: sha2pass, sha2salt: sha2salt, out: tmpout)
        out.update(from: tmpout, count: hashSize)
        var round = 1
        while round < rounds {
          Digest.hash(
            .sha512, UnsafeRawBufferPointer(start: tmpout, count: hashSize),
            into: UnsafeMutableRawBufferPointer(start: sha2salt, count: 64))
          hash(cipher, sha2pass: sha2pass, sha2salt: sha2salt, out: tmpout)
          for j in 0..<hashSize { out[j] ^= tmpout[j] }
          round += 1
        }
        // The "pbkdf2 deviation": output byte i of block `count` goes to i * stride + count - 1.
        let take = min(amount, remaining)
        var i = 0
        while i < take {
          let dest = i * stride + Int(count) - 1
          if dest >= keyLength { break }
          key[dest] = out[i]
          i += 1
        }
        remaining -= i
        count += 1
      }
    }
    guard let derived else { throw .outOfSecureMemory }
    return derived
  }

  /// One bcrypt hash: expensive key schedule keyed by the two digests, then 64 encryptions of the magic string.
  /// Output words are written little-endian, as OpenBSD does.
  private static func hash(
    _ cipher: Blowfish, sha2pass: UnsafeMutablePointer<UInt8>, sha2salt: UnsafeMutablePointer<UInt8>,
    out: UnsafeMutablePointer<UInt8>
  ) {
    let pass = UnsafeBufferPointer(start: UnsafePointer(sha2pass), count: 64)
    let salt = UnsafeBufferPointer(start: UnsafePointer(sha2salt), count: 64)
    cipher.reset()
    cipher.expand(data: salt, key: pass)
    for _ in 0..<64 {
      cipher.expand0(key: salt)
      cipher.expand0(key: pass)
    }
    var words: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &words) { raw in
      let w = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
      for i in 0..<8 {
        w[i] =
          UInt32(magic[4 * i]) << 24 | UInt32(magic[4 * i + 1]) << 16 | UInt32(magic[4 * i + 2]) << 8
          | UInt32(magic[4 * i + 3])
      }
      for _ in 0..<64 { cipher.encrypt(words: w, count: 8) }
      for i in 0..<8 {
        out[4 * i] = UInt8(w[i] & 0xff)
        out[4 * i + 1] = UInt8((w[i] >> 8) & 0xff)
        out[4 * i + 2] = UInt8((w[i] >> 16) & 0xff)
        out[4 * i + 3] = UInt8(w[i] >> 24)
        w[i] = 0
      }
    }
  }
}
