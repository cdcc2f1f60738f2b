import KeyholdCrypto
import SSHKeys
import Testing

@testable import Vault

/// A small vault file with two entries, a binding and a status record, built in memory.
private func sampleFile() throws -> VaultFile {
  var (file, dataKey) = try VaultFile.create(passphrase: secret("pw"), kdf: .minimum)
  let a = fakeEntry(
    "alpha", bindings: [VaultBinding(cloud: "http://127.0.0.1:5000", region: "us-east-1", keyName: "a")])
  let b = fakeEntry("béta")
  file.entries = [a, b]
  file.status.set(
    VaultStatusRecord(
      entryID: a.id, cloud: "http://127.0.0.1:5000", region: "us-east-1", keyName: "a", checkedAt: 5, state: "in-sync",
      matchedFingerprintKind: "md5-ssh", instancesInUse: 2, flags: .orphaned))
  try file.seal(
    [VaultSecret(id: a.id, keyWire: fakeWire("a")), VaultSecret(id: b.id, keyWire: fakeWire("b"))],
    dataKey: dataKey)
  return file
}

@Test func decodeThenEncodeGivesTheSameBytes() throws {
  let bytes = try sampleFile().encode()
  let decoded = try VaultFile.decode(bytes)
  #expect(decoded.encode() == bytes)
  #expect(decoded.entries.map(\.name) == ["alpha", "béta"])
  #expect(decoded.status.records.first?.instancesInUse == 2)
}

@Test func headerFieldsSitAtTheDocumentedOffsets() throws {
  let file = try sampleFile()
  let bytes = file.encode()
  #expect(Array(bytes[0..<8]) == Array("KHVAULT".utf8) + [0])
  #expect(Array(bytes[8..<12]) == [0, 0, 0, 2])
  let length = bytes[12..<20].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
  #expect(length == UInt64(bytes.count))
  #expect(Array(bytes[48..<64]) == file.kdf.salt)
  #expect(Array(bytes[64..<88]) == file.wrapNonce)
  #expect(Array(bytes[88..<136]) == file.wrappedKey)
  #expect(Array(bytes[(bytes.count - 32)...]) == Sodium.hash(bytes[..<(bytes.count - 32)]))
}

@Test func everySingleByteFlipIsDetected() throws {
  let bytes = try sampleFile().encode()
  for offset in bytes.indices {
    for mask: UInt8 in [0x01, 0x80] {
      var damaged = bytes
      damaged[offset] ^= mask
      do {
        _ = try VaultFile.decode(damaged)
        Issue.record("flip of bit \(mask) at offset \(offset) was not detected")
      } catch {
        if offset < 8 {
          #expect(error == .notAVault)
        } else if case .corrupted = error {
        } else {
          Issue.record("flip at offset \(offset) gave \(error)")
        }
      }
    }
  }
}

@Test func truncationAtEveryLengthIsReportedAsTruncation() throws {
  let bytes = try sampleFile().encode()
  for length in 0..<bytes.count {
    #expect(throws: VaultError.self) { try VaultFile.decode(Array(bytes[..<length])) }
    do {
      _ = try VaultFile.decode(Array(bytes[..<length]))
    } catch {
      guard case .truncated(let actual, _) = error else {
        Issue.record("cut at \(length) gave \(error)")
        continue
      }
      #expect(actual == length)
    }
  }
}

@Test func anIntactFileOfAnotherVersionIsUnsupported() throws {
  var bytes = try sampleFile().encode()
  bytes[11] = 3
  bytes.removeLast(32)
  bytes += Sodium.hash(bytes)
  #expect(throws: VaultError.unsupportedVersion(3)) { try VaultFile.decode(bytes) }
}

@Test func otherFilesAreNotVaults() {
  #expect(throws: VaultError.notAVault) { try VaultFile.decode(Array("-----BEGIN OPENSSH PRIVATE KEY-----".utf8)) }
}

@Test func appendedBytesAreCorruption() throws {
  let bytes = try sampleFile().encode() + [0]
  #expect(throws: VaultError.corrupted("1 bytes after the end")) { try VaultFile.decode(bytes) }
}

@Test func duplicateNamesWithAValidChecksumAreMalformed() throws {
  var file = try sampleFile()
  file.entries[1].name = "alpha"
  #expect(throws: VaultError.malformed("entry name \"alpha\" appears twice")) { try VaultFile.decode(file.encode()) }
}

@Test func statusRecordsDoNotTakePartInTheSeal() throws {
  let file = try sampleFile()
  var changed = file
  changed.status = VaultStatus()
  #expect(VaultFile.sealAssociatedData(file.entries) == VaultFile.sealAssociatedData(changed.entries))
  var renamed = file
  renamed.entries[0].name = "gamma"
  #expect(VaultFile.sealAssociatedData(file.entries) != VaultFile.sealAssociatedData(renamed.entries))
}

@Test func entryIDsPrintAndParseAsHex() throws {
  let id = try #require(VaultEntryID(bytes: Array(0..<16)))
  #expect(id.description == "000102030405060708090a0b0c0d0e0f")
  #expect(VaultEntryID(hex: id.description) == id)
  #expect(VaultEntryID(hex: "zz") == nil)
}

@Test func namesWithControlCharactersOrOuterSpacesAreRefused() {
  #expect(throws: VaultError.self) { try VaultName.validate("") }
  #expect(throws: VaultError.self) { try VaultName.validate(" lead") }
  #expect(throws: VaultError.self) { try VaultName.validate("tab\there") }
  #expect(throws: VaultError.self) { try VaultName.validate(String(repeating: "a", count: 256)) }
  #expect(throws: Never.self) { try VaultName.validate("my key-1.prod") }
}
