/// Blowfish (Schneier, "Description of a New Variable-Length Key, 64-Bit Block Cipher", 1993), with the extra
/// "expensive key schedule" steps bcrypt adds (Provos & Mazières, "A Future-Adaptable Password Scheme", 1999).
///
/// Only what `bcrypt_pbkdf` needs: encryption of 64-bit blocks and the salted key expansion. The state lives in one
/// manually allocated buffer (18 P words, then 4 × 256 S words) so the hot loop does no bounds checks and no
/// allocation; callers must call ``wipe()`` or let ``deinit`` do it, since the state is derived from a passphrase.
final class Blowfish {
  /// Words in the P-array.
  static let pCount = 18
  /// Words in the four S-boxes together.
  static let sCount = 4 * 256

  /// `state[0..<18]` is P, `state[18...]` is S0..S3.
  private let state: UnsafeMutablePointer<UInt32>

  /// Creates a cipher in Blowfish's initial state (pi's digits), before any key is mixed in.
  init() {
    state = .allocate(capacity: Self.pCount + Self.sCount)
    reset()
  }

  /// Creates a cipher keyed with `key` (1...56 bytes) by the standard Blowfish key schedule.
  convenience init(key: [UInt8]) {
    self.init()
    key.withUnsafeBufferPointer { expand0(key: $0) }
  }

  deinit {
    wipe()
    state.deallocate()
  }

  /// Puts the initial tables back (Blowfish_initstate).
  func reset() {
    BlowfishTables.p.withUnsafeBufferPointer { state.update(from: $0.baseAddress!, count: Self.pCount) }
    BlowfishTables.s.withUnsafeBufferPointer { (state + Self.pCount).update(from: $0.baseAddress!, count: Self.sCount) }
  }

  /// Zeroes the key-dependent state.
  func wipe() {
    // Volatile-enough: the buffer escapes to `deallocate`, so the stores are not elided.
    state.update(repeating: 0, count: Self.pCount + Self.sCount)
  }

  /// Reads the next big-endian 32-bit word from `data`, wrapping around at its end (Blowfish_stream2word).
  @inline(__always)
  private static func streamWord(_ data: UnsafeBufferPointer<UInt8>, _ j: inout Int) -> UInt32 {
    var word: UInt32 = 0
    let base = data.baseAddress!
    let n = data.count
    for _ in 0..<4 {
      word = (word &<< 8) | UInt32(base[j])
      j &+= 1
      if j >= n { j = 0 }
    }
    return word
  }

  /// Encrypts one block given as two 32-bit halves (Blowfish_encipher): 16 Feistel rounds.
  @inline(__always)
  func encipher(_ left: inout UInt32, _ right: inout UInt32) {
    let p = state
    let s = state + Self.pCount
    var l = left
    var r = right
    l ^= p[0]
    var i = 1
    while i <= 16 {
      r ^=
        (((s[Int(l &>> 24)] &+ s[0x100 | Int((l &>> 16) & 0xff)]) ^ s[0x200 | Int((l &>> 8) & 0xff)])
          &+ s[0x300 | Int(l & 0xff)]) ^ p[i]
      l ^=
        (((s[Int(r &>> 24)] &+ s[0x100 | Int((r &>> 16) & 0xff)]) ^ s[0x200 | Int((r &>> 8) & 0xff)])
          &+ s[0x300 | Int(r & 0xff)]) ^ p[i &+ 1]
      i &+= 2
    }
    left = r ^ p[17]
    right = l
  }

  /// Encrypts an 8-byte block (big-endian halves), for the ECB known-answer tests.
  func encryptBlock(_ block: [UInt8]) -> [UInt8] {
    precondition(block.count == 8)
    var l = UInt32(block[0]) << 24 | UInt32(block[1]) << 16 | UInt32(block[2]) << 8 | UInt32(block[3])
    var r = UInt32(block[4]) << 24 | UInt32(block[5]) << 16 | UInt32(block[6]) << 8 | UInt32(block[7])
    encipher(&l, &r)
    return [
      UInt8(l >> 24), UInt8((l >> 16) & 0xff), UInt8((l >> 8) & 0xff), UInt8(l & 0xff),
      UInt8(r >> 24), UInt8((r >> 16) & 0xff), UInt8((r >> 8) & 0xff), UInt8(r & 0xff),
    ]
  }

  /// Encrypts `count / 2` blocks in place, each a pair of words (blf_enc).
  @inline(__always)
  func encrypt(words: UnsafeMutablePointer<UInt32>, count: Int) {
    var i = 0
    while i < count {
      encipher(&words[i], &words[i + 1])
      i += 2
    }
  }

  /// The salted key expansion of bcrypt (Blowfish_expandstate): P ^= key stream, then P and S are refilled by
  /// encrypting a chain that is XORed with the salt (`data`) stream. `key` and `data` must not be empty.
  func expand(data: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>) {
    var j = 0
    for i in 0..<Self.pCount { state[i] ^= Self.streamWord(key, &j) }
    j = 0
    var l: UInt32 = 0
    var r: UInt32 = 0
    var i = 0
    let total = Self.pCount + Self.sCount
    while i < total {
      l ^= Self.streamWord(data, &j)
      r ^= Self.streamWord(data, &j)
      encipher(&l, &r)
      state[i] = l
      state[i + 1] = r
      i += 2
    }
  }

  /// The unsalted key expansion (Blowfish_expand0state), which is also the standard Blowfish key schedule.
  func expand0(key: UnsafeBufferPointer<UInt8>) {
    var j = 0
    for i in 0..<Self.pCount { state[i] ^= Self.streamWord(key, &j) }
    var l: UInt32 = 0
    var r: UInt32 = 0
    var i = 0
    let total = Self.pCount + Self.sCount
    while i < total {
      encipher(&l, &r)
      state[i] = l
      state[i + 1] = r
      i += 2
    }
  }
}
