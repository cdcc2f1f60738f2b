import Foundation

/// The signature log's line format: one JSON object per line (JSON Lines), fields in a fixed order.
///
/// Encoding is written out by hand: it runs on the agent's log writer thread for every signature, and a generic
/// encoder costs tens of microseconds a record. Every string goes through ``appendString(_:to:)``, which escapes
/// as RFC 8259 §7 requires and also escapes every other control character and DEL, so a client-chosen comment or
/// user name can neither break the line nor reach a terminal raw. Decoding uses Foundation's JSON reader.
public enum SignatureLogCodec {
  /// Why a line was not read.
  public struct DecodeError: Error, CustomStringConvertible, Equatable {
    public let description: String
  }

  /// The line for `record`, with its trailing newline.
  public static func encode(_ record: SignatureRecord) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(384)
    encode(record, into: &out)
    return out
  }

  /// Appends the line for `record`, with its trailing newline, to `out`.
  public static func encode(_ record: SignatureRecord, into out: inout [UInt8]) {
    out.append(contentsOf: #"{"v":"#.utf8)
    appendInt(record.version, to: &out)
    field("time", record.time, &out)
    field("event", record.event.rawValue, &out)
    field("key", record.key, &out)
    field("fingerprint", record.fingerprint, &out)
    field("source", record.source, &out)
    field("outcome", record.outcome, &out)
    field("reason", record.reason, &out)
    name("uid", &out)
    if let uid = record.uid { appendInt(Int(uid), to: &out) } else { out.append(contentsOf: null) }
    name("pid", &out)
    if let pid = record.pid { appendInt(Int(pid), to: &out) } else { out.append(contentsOf: null) }
    field("process", record.process, &out)
    field("exe", record.exe, &out)
    appendParents(record.parents, to: &out)
    field("host_key", record.hostKey, &out)
    field("host", record.host, &out)
    name("hops", &out)
    appendInt(record.hops, to: &out)
    field("user", record.user, &out)
    field("purpose", record.purpose, &out)
    name("lost", &out)
    if let lost = record.lost { appendInt(lost, to: &out) } else { out.append(contentsOf: null) }
    out.append(contentsOf: "}\n".utf8)
  }

  /// Appends the line of a `sign` record from pieces a writer keeps between records, with its trailing newline:
  /// the same bytes ``encode(_:into:)`` writes for the record with these fields (`lost` null), without building
  /// the record's strings. `time` and `fingerprint` are encoded JSON values (``SignatureLogTime/Stamp``,
  /// ``jsonValue(_:)``), `peer` the encoded `process`, `exe` and `parents` fields (``peerFields(process:exe:parents:)``),
  /// `hostKey` an encoded value or nil for null.
  public static func encodeSign(
    time: SignatureLogTime.Stamp, milliseconds: Int, key: String?, fingerprint: [UInt8], source: String?,
    reason: String?, uid: UInt32, pid: Int32, peer: [UInt8], hostKey: [UInt8]?, host: String?, hops: Int,
    user: String?, purpose: String, into out: inout [UInt8]
  ) {
    out.append(contentsOf: #"{"v":1,"time":"#.utf8)
    time.append(milliseconds: milliseconds, to: &out)
    out.append(contentsOf: #","event":"sign""#.utf8)
    field("key", key, &out)
    name("fingerprint", &out)
    out.append(contentsOf: fingerprint)
    field("source", source, &out)
    out.append(contentsOf: reason == nil ? #","outcome":"signed""#.utf8 : #","outcome":"refused""#.utf8)
    field("reason", reason, &out)
    name("uid", &out)
    appendInt(Int(uid), to: &out)
    name("pid", &out)
    appendInt(Int(pid), to: &out)
    out.append(contentsOf: peer)
    name("host_key", &out)
    if let hostKey { out.append(contentsOf: hostKey) } else { out.append(contentsOf: null) }
    field("host", host, &out)
    name("hops", &out)
    appendInt(hops, to: &out)
    field("user", user, &out)
    field("purpose", purpose, &out)
    out.append(contentsOf: #","lost":null}"#.utf8)
    out.append(UInt8(ascii: "\n"))
  }

  /// `value` as an encoded JSON value (a string, or `null`), for pieces a writer caches.
  public static func jsonValue(_ value: String?) -> [UInt8] {
    var out: [UInt8] = []
    if let value { appendString(value, to: &out) } else { out.append(contentsOf: null) }
    return out
  }

  /// The encoded `process`, `exe` and `parents` fields of a record, each with its leading comma.
  public static func peerFields(process: String?, exe: String?, parents: [SignatureRecord.Process]) -> [UInt8] {
    var out: [UInt8] = []
    field("process", process, &out)
    field("exe", exe, &out)
    appendParents(parents, to: &out)
    return out
  }

  private static func appendParents(_ parents: [SignatureRecord.Process], to out: inout [UInt8]) {
    name("parents", &out)
    out.append(UInt8(ascii: "["))
    for (i, p) in parents.enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      out.append(contentsOf: #"{"pid":"#.utf8)
      appendInt(Int(p.pid), to: &out)
      field("process", p.process, &out)
      field("exe", p.exe, &out)
      out.append(UInt8(ascii: "}"))
    }
    out.append(UInt8(ascii: "]"))
  }

  /// Reads one line (without its newline).
  public static func decode(_ line: some Collection<UInt8>) throws(DecodeError) -> SignatureRecord {
    do {
      return try JSONDecoder().decode(SignatureRecord.self, from: Data(line))
    } catch let e as DecodingError {
      throw DecodeError(description: describe(e))
    } catch {
      throw DecodeError(description: "not JSON")
    }
  }

  static func describe(_ e: DecodingError) -> String {
    switch e {
    case .keyNotFound(let key, _): return "field \"\(key.stringValue)\" missing"
    case .typeMismatch(_, let c), .valueNotFound(_, let c):
      return "field \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
    case .dataCorrupted(let c):
      return c.codingPath.isEmpty
        ? "not JSON" : "field \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\" is invalid"
    @unknown default: return "not a record"
    }
  }

  private static let null = Array("null".utf8)

  private static func name(_ name: StaticString, _ out: inout [UInt8]) {
    name.withUTF8Buffer { raw in
      out.append(UInt8(ascii: ","))
      out.append(UInt8(ascii: "\""))
      out.append(contentsOf: raw)
      out.append(UInt8(ascii: "\""))
      out.append(UInt8(ascii: ":"))
    }
  }

  private static func field(_ key: StaticString, _ value: String?, _ out: inout [UInt8]) {
    name(key, &out)
    if let value { appendString(value, to: &out) } else { out.append(contentsOf: null) }
  }

  static func appendInt(_ value: Int, to out: inout [UInt8]) {
    if value < 0 {
      out.append(UInt8(ascii: "-"))
      appendUnsigned(UInt(value.magnitude), to: &out)
    } else {
      appendUnsigned(UInt(value), to: &out)
    }
  }

  private static func appendUnsigned(_ value: UInt, to out: inout [UInt8]) {
    if value >= 10 { appendUnsigned(value / 10, to: &out) }
    out.append(UInt8(ascii: "0") + UInt8(value % 10))
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// Appends `s` as a JSON string: `"` and `\` escaped, control characters (below 0x20) and DEL as `\u00XX`.
  /// Swift strings are valid Unicode, so the UTF-8 written is valid too.
  public static func appendString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    // Most strings (names, fingerprints, paths) need no escape: one scan and one bulk copy of the contiguous
    // UTF-8 that native strings keep.
    let plain: Bool? = s.utf8.withContiguousStorageIfAvailable { raw in
      for b in raw where b < 0x20 || b == 0x7f || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
      out.append(contentsOf: raw)
      return true
    }
    if plain == true {
      out.append(UInt8(ascii: "\""))
      return
    }
    for b in s.utf8 {
      switch b {
      case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
      case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
      case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
      case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
      case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
      case 0..<0x20, 0x7f:
        out.append(contentsOf: #"\u00"#.utf8)
        out.append(hexDigits[Int(b >> 4)])
        out.append(hexDigits[Int(b & 0xf)])
      default: out.append(b)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}
