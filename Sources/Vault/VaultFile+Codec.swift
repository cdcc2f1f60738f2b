import KeyholdCrypto
import SSHKeys
import SSHWire

// The byte layout is specified in man/keyhold-vault.5; the comments name its sections.

extension VaultFile {
  /// Encodes the file, ending with its checksum.
  public func encode() -> [UInt8] {
    let publicSection = Self.encodePublic(entries, retired: retired, version: version)
    let statusSection = Self.encodeStatus(status, version: version)
    var w = SSHWriter(capacity: Self.publicSectionOffset + publicSection.count + statusSection.count + 256)
    w.writeBytes(Self.magic)
    w.writeUInt32(version)
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
    guard supportedVersions.contains(version) else { throw .unsupportedVersion(version) }
    var r = SectionReader(bytes: Array(bytes[prefixSize..<(bytes.count - checksumSize)]), section: "header")
    guard bytes.count >= prefixSize + 108 + checksumSize else {
      throw .alteredHeader("the file is too short to hold the kdf block and the sealed data key")
    }
    let kdfID = try r.u32()
    guard kdfID == VaultKDF.argon2id13 else { throw .alteredHeader("unknown kdf algorithm \(kdfID)") }
    let ops = try r.u64()
    let mem = try r.u64()
    // Checked before anything runs Argon2id: the limits are not authenticated until the data key is unwrapped,
    // which needs the KDF's output.
    try VaultKDF.validate(Sodium.KDFParameters(opsLimit: ops, memLimit: mem))
    let salt = try r.raw(Sodium.saltBytes)
    let wrapNonce = try r.raw(Sodium.aeadNonceBytes)
    let wrappedKey = try r.raw(wrappedKeySize)
    r.section = "public section"
    let (entries, retired) = try decodePublic(try r.string(), version: version)
    r.section = "status section"
    let status = try decodeStatus(try r.string(), version: version)
    r.section = "sealed section"
    let sealed = try r.string()
    guard sealed.count >= Sodium.aeadNonceBytes + Sodium.aeadTagBytes else {
      throw .malformed("sealed section shorter than a nonce and a tag")
    }
    try r.end()
    return VaultFile(
      kdf: VaultKDF(parameters: .init(opsLimit: ops, memLimit: mem), salt: salt), wrapNonce: wrapNonce,
      wrappedKey: wrappedKey, entries: entries, status: status,
      sealedNonce: Array(sealed[..<Sodium.aeadNonceBytes]), sealedPrivate: Array(sealed[Sodium.aeadNonceBytes...]),
      retired: retired, version: version)
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
    w.writeUInt32(version)
    w.writeBytes(kdfBlock)
    return w.bytes
  }

  /// Associated data of the private-half seal: magic, version and the public section (as a `string`).
  var sealAssociatedData: [UInt8] { Self.sealAssociatedData(entries, retired: retired, version: version) }

  /// Associated data of the private-half seal for a public half of `version`.
  static func sealAssociatedData(
    _ entries: [VaultEntry], retired: [VaultRetiredEntry] = [], version: UInt32 = currentVersion
  ) -> [UInt8] {
    var w = SSHWriter()
    w.writeBytes(magic)
    w.writeUInt32(version)
    w.writeString(encodePublic(entries, retired: retired, version: version))
    return w.bytes
  }

  // MARK: Public section

  static func encodePublic(_ entries: [VaultEntry], retired: [VaultRetiredEntry], version: UInt32) -> [UInt8] {
    var w = SSHWriter(capacity: 64 + (entries.count + retired.count) * 256)
    w.writeUInt32(UInt32(entries.count))
    for e in entries { encodeEntry(e, into: &w) }
    // Version 1 has no retired list; keyhold writes version 1 only for status-only changes, which keep it as read.
    guard version >= 2 else { return w.bytes }
    w.writeUInt32(UInt32(retired.count))
    for r in retired {
      encodeEntry(r.entry, into: &w)
      w.writeUInt64(UInt64(bitPattern: r.retiredAt))
      w.writeUInt64(UInt64(bitPattern: r.expiresAt))
      w.writeString(r.reason)
    }
    return w.bytes
  }

  static func encodeEntry(_ e: VaultEntry, into w: inout SSHWriter) {
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

  static func decodePublic(_ bytes: [UInt8], version: UInt32 = currentVersion) throws(VaultError)
    -> ([VaultEntry], [VaultRetiredEntry])
  {
    var r = SectionReader(bytes: bytes, section: "public section")
    var entries: [VaultEntry] = []
    var ids = Set<VaultEntryID>()
    var names = Set<String>()
    for _ in 0..<(try r.u32()) {
      let e = try decodeEntry(&r, version: version, ids: &ids)
      guard names.insert(e.name).inserted else { throw .malformed("entry name \"\(e.name)\" appears twice") }
      entries.append(e)
    }
    var retired: [VaultRetiredEntry] = []
    if version >= 2 {
      // Retired names may repeat (the same name retired twice, or reused by an active key); ids may not.
      for _ in 0..<(try r.u32()) {
        let e = try decodeEntry(&r, version: version, ids: &ids)
        let at = Int64(bitPattern: try r.u64())
        let expires = Int64(bitPattern: try r.u64())
        let reason = try r.text()
        retired.append(VaultRetiredEntry(entry: e, retiredAt: at, expiresAt: expires, reason: reason))
      }
    }
    try r.end()
    return (entries, retired)
  }

  static func decodeEntry(_ r: inout SectionReader, version: UInt32, ids: inout Set<VaultEntryID>) throws(VaultError)
    -> VaultEntry
  {
    guard let id = VaultEntryID(bytes: try r.string()) else { throw .malformed("entry id is not 16 bytes") }
    let name = try r.text()
    do { try VaultName.validate(name) } catch { throw .malformed("entry name: \(error)") }
    guard ids.insert(id).inserted else { throw .malformed("entry id \(id) appears twice") }
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
      // Version 1 stored whatever the user's tools called the account (often an access key id): never an id the
      // cloud returned. Refused rather than dropped, so that decoding stays canonical.
      if version < 2 && bindings[bindings.count - 1].flags.contains(.accountFromCloud) {
        throw .malformed("a version 1 binding carries the account-from-cloud flag")
      }
    }
    return VaultEntry(
      id: id, name: name, algorithm: algorithm, publicKeyBlob: blob, comment: comment, createdAt: created,
      fingerprints: fingerprints, bindings: bindings)
  }

  // MARK: Status section

  /// Stored in place of ``VaultStatusRecord/instancesInUse`` when it is unknown.
  static let unknownCount: UInt32 = .max

  /// A known count is clamped to 0...0xfffffffe so that it never reads back as unknown.
  static func encodeCount(_ n: Int?) -> UInt32 {
    guard let n else { return unknownCount }
    return min(UInt32(clamping: max(n, 0)), unknownCount - 1)
  }

  static func encodeStatus(_ status: VaultStatus, version: UInt32 = currentVersion) -> [UInt8] {
    // Version 1 has no place for learned or resolving records; a status-only write to a version 1 file (which
    // cannot be re-sealed without the passphrase) leaves them out.
    let records = version >= 2 ? status.records : status.records.filter { $0.sealedBinding == $0.place }
    var w = SSHWriter(capacity: 16 + records.count * 160)
    w.writeUInt32(UInt32(records.count))
    for s in records {
      w.writeString(s.entryID.bytes)
      w.writeString(s.cloud)
      w.writeString(s.account)
      w.writeString(s.region)
      w.writeString(s.keyName)
      w.writeUInt64(UInt64(bitPattern: s.checkedAt))
      if version >= 2 { w.writeByte(s.state.rawValue) } else { w.writeString(s.state.name) }
      w.writeString(s.matchedFingerprintKind)
      w.writeUInt32(encodeCount(s.instancesInUse))
      w.writeString(s.observedKeyPairID)
      if version >= 2 { w.writeString(s.observedFingerprint) }
      w.writeString(s.detail)
      w.writeUInt32(version >= 2 ? s.flags.rawValue : s.flags.subtracting(.learned).rawValue)
      guard version >= 2 else { continue }
      w.writeUInt64(UInt64(bitPattern: s.lastListedAt))
      if let k = s.resolves {
        w.writeByte(1)
        w.writeString(k.cloud)
        w.writeString(k.account)
        w.writeString(k.region)
        w.writeString(k.keyName)
      } else {
        w.writeByte(0)
      }
    }
    return w.bytes
  }

  static func decodeStatus(_ bytes: [UInt8], version: UInt32 = currentVersion) throws(VaultError) -> VaultStatus {
    var r = SectionReader(bytes: bytes, section: "status section")
    var records: [VaultStatusRecord] = []
    for _ in 0..<(try r.u32()) {
      guard let id = VaultEntryID(bytes: try r.string()) else { throw .malformed("status entry id is not 16 bytes") }
      let cloud = try r.text()
      let account = try r.text()
      let region = try r.text()
      let keyName = try r.text()
      let checkedAt = Int64(bitPattern: try r.u64())
      let state: VaultSyncState
      if version >= 2 {
        let code = try r.byte()
        guard let s = VaultSyncState(rawValue: code) else { throw .malformed("status section: unknown state \(code)") }
        state = s
      } else {
        let name = try r.text()
        guard let s = VaultSyncState(name: name) else { throw .malformed("status section: unknown state \"\(name)\"") }
        state = s
      }
      let matched = try r.text()
      let count = try r.u32()
      let keyPairID = try r.text()
      let fingerprint = version >= 2 ? try r.text() : ""
      let detail = try r.text()
      let flags = VaultStatusRecord.Flags(rawValue: try r.u32())
      var listed: Int64 = 0
      var resolves: VaultBindingKey?
      if version >= 2 {
        listed = Int64(bitPattern: try r.u64())
        switch try r.byte() {
        case 0: break
        case 1:
          resolves = VaultBindingKey(
            cloud: try r.text(), account: try r.text(), region: try r.text(), keyName: try r.text())
          guard !flags.contains(.learned) else {
            throw .malformed("status section: a learned record resolves a binding")
          }
        case let other: throw .malformed("status section: resolves marker \(other)")
        }
      } else if flags.contains(.learned) {
        throw .malformed("status section: a version 1 record carries the learned flag")
      }
      records.append(
        VaultStatusRecord(
          entryID: id, cloud: cloud, account: account, region: region, keyName: keyName, checkedAt: checkedAt,
          state: state, matchedFingerprintKind: matched, instancesInUse: count == unknownCount ? nil : Int(count),
          observedKeyPairID: keyPairID, detail: detail, flags: flags, resolves: resolves, lastListedAt: listed,
          observedFingerprint: fingerprint))
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
  mutating func byte() throws(VaultError) -> UInt8 {
    do { return try reader.readByte() } catch { throw fail(error) }
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
