import KeyholdCrypto
import SSHKeys

/// One record of the private half: an entry id and that key's private wire form, in guarded memory.
///
/// The bytes are a range of a guarded buffer: after an unlock every record shares the one decrypted plaintext, so
/// opening 1,000 keys costs one guarded allocation, not 1,000 (each costs an mmap, mprotect and mlock).
struct VaultSecret: Sendable {
  /// The entry the key belongs to.
  let id: VaultEntryID
  /// The guarded buffer holding the key.
  let storage: SecureBytes
  /// Where the key's wire form is in ``storage``.
  let range: Range<Int>

  /// A record owning its buffer.
  init(id: VaultEntryID, keyWire: SecureBytes) {
    self.init(id: id, storage: keyWire, range: 0..<keyWire.count)
  }

  /// A record that is a slice of a shared buffer.
  init(id: VaultEntryID, storage: SecureBytes, range: Range<Int>) {
    self.id = id
    self.storage = storage
    self.range = range
  }

  /// Number of bytes of the key's wire form.
  var count: Int { range.count }

  /// Calls `body` with the key's wire form.
  func withKeyWire<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
  }

  /// An unguarded copy of the key's wire form; the caller wipes it.
  func unsafeCopy() -> [UInt8] { withKeyWire { Array($0) } }
}

/// The plaintext of the private half: `uint32 count` then `(string id, string key)` per entry, in the order of the
/// public entries. Built and parsed directly in guarded memory, so no unguarded copy of a key is made here.
enum VaultSecrets {
  static func encode(_ secrets: [VaultSecret]) throws(VaultError) -> SecureBytes {
    let size = secrets.reduce(4) { $0 + 8 + $1.id.bytes.count + $1.count }
    do {
      return try SecureBytes.allocate(count: size) { out in
        var at = 0
        func put32(_ v: Int) {
          let u = UInt32(v)
          for shift in [24, 16, 8, 0] {
            out[at] = UInt8(truncatingIfNeeded: u >> UInt32(shift))
            at += 1
          }
        }
        func put(_ bytes: UnsafeRawBufferPointer) {
          put32(bytes.count)
          if bytes.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + bytes.count)]).copyMemory(from: bytes)
          }
          at += bytes.count
        }
        put32(secrets.count)
        for s in secrets {
          s.id.bytes.withUnsafeBytes { put($0) }
          s.withKeyWire { put($0) }
        }
      }
    } catch {
      throw .outOfSecureMemory
    }
  }

  static func decode(_ plain: SecureBytes) throws(VaultError) -> [VaultSecret] {
    let parsed: Result<[VaultSecret], VaultError> = plain.withUnsafeBytes { buf in
      var at = 0
      func get32() -> Int? {
        guard buf.count - at >= 4 else { return nil }
        var v = 0
        for i in 0..<4 { v = v << 8 | Int(buf[at + i]) }
        at += 4
        return v
      }
      func getRange() -> Range<Int>? {
        guard let n = get32(), n <= buf.count - at else { return nil }
        defer { at += n }
        return at..<(at + n)
      }
      guard let count = get32() else { return .failure(.malformed("private half: truncated")) }
      var out: [VaultSecret] = []
      for _ in 0..<count {
        guard let idRange = getRange(), let keyRange = getRange() else {
          return .failure(.malformed("private half: truncated"))
        }
        guard let id = VaultEntryID(bytes: Array(buf[idRange])) else {
          return .failure(.malformed("private half: entry id is not 16 bytes"))
        }
        out.append(VaultSecret(id: id, storage: plain, range: keyRange))
      }
      guard at == buf.count else { return .failure(.malformed("private half: trailing bytes")) }
      return .success(out)
    }
    return try parsed.get()
  }
}
