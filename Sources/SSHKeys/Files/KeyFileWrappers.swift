import Foundation
import KeyholdCrypto

/// Cloud tool output around a key (keyhold-import(1)): euca2ools `euca-add-keypair` and aws cli `ec2 create-key-pair` in its
/// JSON and text output forms. Unwrapping yields the key material plus what the cloud said about the key pair.
enum KeyFileWrappers {
  /// The material inside a wrapper and the metadata around it.
  struct Unwrapped {
    var wrapper: KeyFileWrapper
    var material: [UInt8]
    var keyName: String?
    var fingerprint: String?
    var keyPairID: String?
  }

  /// Returns the unwrapped content when `data` is a known wrapper, nil when it is not a wrapper at all.
  static func unwrap(_ data: [UInt8], text: TextScan) throws(KeyError) -> Unwrapped? {
    let firstNonSpace = data.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d) }
    if data.starts(with: Array("KEYPAIR".utf8)), data.count > 7, data[7] == 0x09 || data[7] == 0x20 {
      return try euca2ools(data)
    }
    if firstNonSpace == UInt8(ascii: "{") { return try awsJSON(data) }
    if let tab = data.firstIndex(of: 0x09), text.firstIndex(of: "\t-----BEGIN ") == tab,
      data[..<tab].allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") }), tab > 0
    {
      return try awsText(data, tab: tab)
    }
    return nil
  }

  private static func isHexDigit(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
  }

  /// euca2ools 3 prints `KEYPAIR<TAB>name<TAB>fingerprint`, then the key material, then a newline.
  private static func euca2ools(_ data: [UInt8]) throws(KeyError) -> Unwrapped {
    let newline = data.firstIndex(of: 0x0a) ?? data.count
    var header = data[..<newline]
    if header.last == 0x0d { header = header.dropLast() }
    let fields = header.split(whereSeparator: { $0 == 0x09 }).map { String(decoding: $0, as: UTF8.self) }
    let parts = fields.count == 3 ? fields : header.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
    guard parts.count == 3, parts[0] == "KEYPAIR" else {
      throw .malformed("euca2ools KEYPAIR line must carry a name and a fingerprint")
    }
    let material = newline < data.count ? Array(data[(newline + 1)...]) : []
    guard !material.isEmpty else { throw .malformed("euca2ools output has no key material after the KEYPAIR line") }
    return Unwrapped(
      wrapper: .euca2ools, material: material, keyName: parts[1], fingerprint: parts[2], keyPairID: nil)
  }

  /// aws cli JSON: an object with `KeyMaterial` and usually `KeyFingerprint`, `KeyName`, `KeyPairId`.
  private static func awsJSON(_ data: [UInt8]) throws(KeyError) -> Unwrapped {
    let object: Any
    // The copy Foundation needs holds the key text: zero it once parsed. (The KeyMaterial string Foundation makes
    // cannot be wiped; it is copied out once below and dropped.)
    var json = Data(data)
    defer { json.resetBytes(in: 0..<json.count) }
    do {
      object = try JSONSerialization.jsonObject(with: json, options: [])
    } catch {
      throw .unrecognizedFormat("input starts with { but is not valid JSON")
    }
    guard let dict = object as? [String: Any] else {
      throw .unrecognizedFormat("JSON input is not an object")
    }
    guard let material = dict["KeyMaterial"] as? String, !material.isEmpty else {
      throw .unrecognizedFormat("JSON without KeyMaterial (not aws ec2 create-key-pair output)")
    }
    return Unwrapped(
      wrapper: .awsJSON, material: Array(material.utf8), keyName: dict["KeyName"] as? String,
      fingerprint: dict["KeyFingerprint"] as? String, keyPairID: dict["KeyPairId"] as? String)
  }

  /// aws cli `--output text`: `fingerprint<TAB>-----BEGIN ...` ... `-----END ...-----<TAB>name<TAB>id` (columns in
  /// the alphabetical order of the response fields: KeyFingerprint, KeyMaterial, KeyName, KeyPairId).
  private static func awsText(_ data: [UInt8], tab: Int) throws(KeyError) -> Unwrapped {
    let fingerprint = String(decoding: data[..<tab], as: UTF8.self)
    let lines = PEMFile.lines(data[(tab + 1)...])
    guard let endLine = lines.firstIndex(where: { $0.starts(with: Array("-----END ".utf8)) }) else {
      throw .malformed("aws text output: no END line")
    }
    // The material keeps its own trailing newline, so the name and id columns usually start the next line.
    let last = lines[endLine]
    let columns: ArraySlice<UInt8>
    // One buffer of the input's size, appended in place: temporaries or a growing buffer would leave unwiped
    // copies of the key text behind.
    var material = [UInt8]()
    material.reserveCapacity(data.count + 1)
    for line in lines[..<endLine] {
      material.append(contentsOf: line)
      material.append(0x0a)
    }
    if let t = last.firstIndex(of: 0x09) {
      material.append(contentsOf: last[..<t])
      material.append(0x0a)
      columns = last[(t + 1)...]
    } else if endLine + 1 < lines.count, lines[endLine + 1].first == 0x09 {
      material.append(contentsOf: last)
      material.append(0x0a)
      columns = lines[endLine + 1].dropFirst()
    } else {
      SecureBytes.wipe(&material)
      throw .malformed("aws text output: no key name after the END line")
    }
    let cols = columns.split(separator: 0x09, omittingEmptySubsequences: false)
    let name = cols.first.map { String(decoding: $0, as: UTF8.self) }
    let id = cols.count > 1 ? String(decoding: cols[1], as: UTF8.self) : nil
    return Unwrapped(wrapper: .awsText, material: material, keyName: name, fingerprint: fingerprint, keyPairID: id)
  }
}
