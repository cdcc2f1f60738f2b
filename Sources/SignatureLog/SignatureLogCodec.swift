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
    name("parents", &out)
    out.append(UInt8(ascii: "["))
    for (i, p) in record.parents.enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      out.append(contentsOf: #"{"pid":"#.utf8)
      appendInt(Int(p.pid), to: &out)
      field("process", p.process, &out)
      field("exe", p.exe, &out)
      out.append(UInt8(ascii: "}"))
    }
    out.append(UInt8(ascii: "]"))
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
    // Most strings (names, fingerprints, paths) need no escape: one bulk copy.
    if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
      out.append(contentsOf: s.utf8)
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
