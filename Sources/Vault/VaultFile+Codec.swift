import SSHKeys
import SSHWire

// The byte layout is specified in man/keyhold-vault.5; the comments name its sections.

extension VaultFile {
  /// Encodes the file, ending with its checksum.
  public func encode() -> [UInt8] {
    let publicSection = Self.encodePublic(entries)
    let statusSection = Self.encodeStatus(status)
    var w = SSHWriter(capacity: Self.publicSectionOffset + publicSection.count + statusSection.count + 256)
    w.writeBytes(Self.magic)
    w.writeUInt32(Self.currentVersion)
    // "Length": the total size, written twice (plain and complemented) so that a cut file and a flipped length
    // byte can be told apart. Patched in below, once the size is known.
    w.writeUInt64(0)
    w.writeUInt64(0)
    w.writeBytes(kdfBlock)
    w.writeBytes(wrapNonce)
    w.writeBytes(wrappedKey)
    w.writeString(publicSection)
    w.writeString(statusSection)
    w.writeString(sealedNonce + sealedPrivate)
    var bytes = w.bytes
    let total = UInt64(bytes.count + Self.checksumSize)
    for i in 0..<8 {
      bytes[12 + i] = UInt8(truncatingIfNeeded: total >> UInt64(56 - 8 * i))
      bytes[20 + i] = ~bytes[12 + i]
    }
    bytes += Sodium.hash(bytes)
    return bytes
  }

  /// Decodes and checks a whole vault file: magic, length, checksum, version, then every section.
  ///
  /// The order of the checks decides the error: a cut file is ``VaultError/truncated(actual:expected:)``, a changed
  /// byte anywhere is ``VaultError/corrupted(_:)``, an intact file of another version is
  /// ``VaultError/unsupportedVersion(_:)``.
  public static func decode(_ bytes: [UInt8]) throws(VaultError) -> VaultFile {
    let version = try checkEnvelope(bytes)
    guard version == currentVersion else { throw .unsupportedVersion(version) }
    var r = SectionReader(bytes: Array(bytes[prefixSize..<(bytes.count - checksumSize)]), section: "header")
    let kdfID = try r.u32()
    guard kdfID == VaultKDF.argon2id13 else { throw .malformed("unknown kdf algorithm \(kdfID)") }
    let ops = try r.u64()
    let mem = try r.u64()
    // Checked before anything runs Argon2id: the limits are not authenticated until the data key is unwrapped,
    // which needs the KDF's output.
    guard VaultKDF.opsLimitRange.contains(ops), VaultKDF.memLimitRange.contains(mem) else {
      throw .kdfLimitsOutOfRange(opsLimit: ops, memLimit: mem)
    }
    let salt = try r.raw(Sodium.saltBytes)
    let wrapNonce = try r.raw(Sodium.aeadNonceBytes)
    let wrappedKey = try r.raw(wrappedKeySize)
    r.section = "public section"
    let entries = try decodePublic(try r.string())
    r.section = "status section"
    let status = try decodeStatus(try r.string())
    r.section = "sealed section"
    let sealed = try r.string()
    guard sealed.count >= Sodium.aeadNonceBytes + Sodium.aeadTagBytes else {
      throw .malformed("sealed section shorter than a nonce and a tag")
    }
    try r.end()
    return VaultFile(
      kdf: VaultKDF(parameters: .init(opsLimit: ops, memLimit: mem), salt: salt), wrapNonce: wrapNonce,
      wrappedKey: wrappedKey, entries: entries, status: status,
      sealedNonce: Array(sealed[..<Sodium.aeadNonceBytes]), sealedPrivate: Array(sealed[Sodium.aeadNonceBytes...]))
  }

  /// Checks the version-independent envelope (magic, length, checksum) and returns the version field.
  static func checkEnvelope(_ bytes: [UInt8]) throws(VaultError) -> UInt32 {
    let magicPart = min(bytes.count, magic.count)
    guard bytes[..<magicPart].elementsEqual(magic[..<magicPart]) else { throw .notAVault }
    guard bytes.count >= prefixSize else { throw .truncated(actual: bytes.count, expected: nil) }
    var length: UInt64 = 0
    var complement: UInt64 = 0
    for i in 0..<8 {
      length = length << 8 | UInt64(bytes[12 + i])
      complement = complement << 8 | UInt64(bytes[20 + i])
    }
    guard length == ~complement else { throw .corrupted("the two length fields disagree") }
    guard length <= UInt64(maximumSize) else { throw .corrupted("length field says \(length) bytes") }
    if length > UInt64(bytes.count) { throw .truncated(actual: bytes.count, expected: Int(length)) }
    if length < UInt64(bytes.count) { throw .corrupted("\(UInt64(bytes.count) - length) bytes after the end") }
    guard bytes.count >= prefixSize + checksumSize else { throw .corrupted("length field says \(length) bytes") }
    let body = bytes.count - checksumSize
    let digest = bytes.withUnsafeBytes { Sodium.hash(UnsafeRawBufferPointer(rebasing: $0[..<body])) }
    guard Sodium.constantTimeEqual(digest, Array(bytes[body...])) else { throw .corrupted("checksum mismatch") }
    var version: UInt32 = 0
    for i in 8..<12 { version = version << 8 | UInt32(bytes[i]) }
    return version
  }

  /// The KDF block: algorithm, opslimit, memlimit, salt. Bound into the data-key seal.
  var kdfBlock: [UInt8] {
    var w = SSHWriter(capacity: 36)
    w.writeUInt32(VaultKDF.argon2id13)
    w.writeUInt64(kdf.parameters.opsLimit)
    w.writeUInt64(kdf.parameters.memLimit)
    w.writeBytes(kdf.salt)
    return w.bytes
  }

  /// Associated data of the data-key seal: magic, version and the KDF block.
  var wrapAssociatedData: [UInt8] {
    var w = SSHWriter(capacity: 48)
    w.writeBytes(Self.magic)
    w.writeUInt32(Self.currentVersion)
    w.writeBytes(kdfBlock)
    return w.bytes
  }

  /// Associated data of the private-half seal: magic, version and the public section (as a `string`).
  static func sealAssociatedData(_ entries: [VaultEntry]) -> [UInt8] {
    var w = SSHWriter()
    w.writeBytes(magic)
    w.writeUInt32(currentVersion)
    w.writeString(encodePublic(entries))
    return w.bytes
  }

  // MARK: Public section

  static func encodePublic(_ entries: [VaultEntry]) -> [UInt8] {
    var w = SSHWriter(capacity: 64 + entries.count * 256)
    w.writeUInt32(UInt32(entries.count))
    for e in entries {
      w.writeString(e.id.bytes)
      w.writeString(e.name)
      w.writeString(e.algorithm)
      w.writeString(e.publicKeyBlob)
      w.writeString(e.comment)
      w.writeUInt64(UInt64(bitPattern: e.createdAt))
      w.writeUInt32(UInt32(e.fingerprints.count))
      for f in e.fingerprints {
        w.writeString(f.kind)
        w.writeString(f.value)
      }
      w.writeUInt32(UInt32(e.bindings.count))
      for b in e.bindings {
        w.writeString(b.cloud)
        w.writeString(b.account)
        w.writeString(b.region)
        w.writeString(b.keyName)
        w.writeString(b.cloudFingerprint)
        w.writeString(b.keyPairID)
        w.writeUInt64(UInt64(bitPattern: b.createdAt))
        w.writeUInt32(b.flags.rawValue)
      }
    }
    return w.bytes
  }

  static func decodePublic(_ bytes: [UInt8]) throws(VaultError) -> [VaultEntry] {
    var r = SectionReader(bytes: bytes, section: "public section")
    let count = try r.u32()
    var entries: [VaultEntry] = []
    var ids = Set<VaultEntryID>()
    var names = Set<String>()
    for _ in 0..<count {
      guard let id = VaultEntryID(bytes: try r.string()) else { throw .malformed("entry id is not 16 bytes") }
      let name = try r.text()
      do { try VaultName.validate(name) } catch { throw .malformed("entry name: \(error)") }
      guard ids.insert(id).inserted else { throw .malformed("entry id \(id) appears twice") }
      guard names.insert(name).inserted else { throw .malformed("entry name \"\(name)\" appears twice") }
      let algorithm = try r.text()
      guard !algorithm.isEmpty else { throw .malformed("empty algorithm name") }
      let blob = try r.string()
      let comment = try r.text()
      let created = Int64(bitPattern: try r.u64())
      var fingerprints: [VaultFingerprint] = []
      for _ in 0..<(try r.u32()) {
        fingerprints.append(VaultFingerprint(kind: try r.text(), value: try r.text()))
      }
      var bindings: [VaultBinding] = []
      for _ in 0..<(try r.u32()) {
        bindings.append(
          VaultBinding(
            cloud: try r.text(), account: try r.text(), region: try r.text(), keyName: try r.text(),
            cloudFingerprint: try r.text(), keyPairID: try r.text(), createdAt: Int64(bitPattern: try r.u64()),
            flags: .init(rawValue: try r.u32())))
      }
      entries.append(
        VaultEntry(
          id: id, name: name, algorithm: algorithm, publicKeyBlob: blob, comment: comment, createdAt: created,
          fingerprints: fingerprints, bindings: bindings))
    }
    try r.end()
    return entries
  }

  // MARK: Status section

  /// Stored in place of ``VaultStatusRecord/instancesInUse`` when it is unknown.
  static let unknownCount: UInt32 = .max

  /// A known count is clamped to 0...0xfffffffe so that it never reads back as unknown.
  static func encodeCount(_ n: Int?) -> UInt32 {
    guard let n else { return unknownCount }
    return min(UInt32(clamping: max(n, 0)), unknownCount - 1)
  }

  static func encodeStatus(_ status: VaultStatus) -> [UInt8] {
    var w = SSHWriter(capacity: 16 + status.records.count * 128)
    w.writeUInt32(UInt32(status.records.count))
    for s in status.records {
      w.writeString(s.entryID.bytes)
      w.writeString(s.cloud)
      w.writeString(s.account)
      w.writeString(s.region)
      w.writeString(s.keyName)
      w.writeUInt64(UInt64(bitPattern: s.checkedAt))
      w.writeString(s.state)
      w.writeString(s.matchedFingerprintKind)
      w.writeUInt32(encodeCount(s.instancesInUse))
      w.writeString(s.observedKeyPairID)
      w.writeString(s.detail)
      w.writeUInt32(s.flags.rawValue)
    }
    return w.bytes
  }

  static func decodeStatus(_ bytes: [UInt8]) throws(VaultError) -> VaultStatus {
    var r = SectionReader(bytes: bytes, section: "status section")
    var records: [VaultStatusRecord] = []
    for _ in 0..<(try r.u32()) {
      guard let id = VaultEntryID(bytes: try r.string()) else { throw .malformed("status entry id is not 16 bytes") }
      let cloud = try r.text()
      let account = try r.text()
      let region = try r.text()
      let keyName = try r.text()
      let checkedAt = Int64(bitPattern: try r.u64())
      let state = try r.text()
      let matched = try r.text()
      let count = try r.u32()
      records.append(
        VaultStatusRecord(
          entryID: id, cloud: cloud, account: account, region: region, keyName: keyName, checkedAt: checkedAt,
          state: state,
          matchedFingerprintKind: matched, instancesInUse: count == unknownCount ? nil : Int(count),
          observedKeyPairID: try r.text(), detail: try r.text(), flags: .init(rawValue: try r.u32())))
    }
    try r.end()
    return VaultStatus(records: records)
  }
}

/// An ``SSHReader`` whose failures become ``VaultError/malformed(_:)`` naming the section.
struct SectionReader {
  var reader: SSHReader
  var section: String

  init(bytes: [UInt8], section: String) {
    reader = SSHReader(bytes)
    self.section = section
  }

  private func fail(_ e: WireError) -> VaultError { .malformed("\(section): \(e)") }

  mutating func u32() throws(VaultError) -> UInt32 {
    do { return try reader.readUInt32() } catch { throw fail(error) }
  }
  mutating func u64() throws(VaultError) -> UInt64 {
    do { return try reader.readUInt64() } catch { throw fail(error) }
  }
  mutating func raw(_ n: Int) throws(VaultError) -> [UInt8] {
    do { return try reader.readBytes(n) } catch { throw fail(error) }
  }
  mutating func string() throws(VaultError) -> [UInt8] {
    do { return try reader.readString() } catch { throw fail(error) }
  }
  mutating func text() throws(VaultError) -> String {
    do { return try reader.readUTF8() } catch { throw fail(error) }
  }
  func end() throws(VaultError) {
    do { try reader.expectEnd() } catch { throw fail(error) }
  }
}
