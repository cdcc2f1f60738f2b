/// A compact line format for storing a whole report (the CLI keeps the last one beside the vault).
///
/// One header line `keyhold-audit<TAB>1<TAB><generated_at>`, then one line per failed scope
/// (`F`, endpoint, account, region, kind, message) and one per entry (`E` and 24 fields in the order of
/// ``AuditEntry``'s properties; a location takes four: endpoint, account, region, key name). Fields are tab-separated; a backslash escapes tab (`\t`), newline (`\n`), carriage
/// return (`\r`) and itself (`\\`); an absent value is `\N`. Encoding and decoding are single passes: a 50,000-entry
/// report takes milliseconds, where a general-purpose JSON coder takes most of a second.
extension AuditReport {
  /// The format version in the header line.
  public static let recordsVersion = 2

  /// Encodes the report as lines.
  public func encodeRecords() -> String {
    var o = "keyhold-audit\t\(Self.recordsVersion)\t\(generatedAt)\n"
    o.reserveCapacity(entries.count * 200)
    for (scope, f) in failures.sorted(by: { $0.key < $1.key }) {
      Self.line(&o, ["F", scope.endpoint, scope.account, scope.region, f.kind, f.message])
    }
    for e in entries {
      Self.line(
        &o,
        [
          "E", e.state.rawValue, e.scope.endpoint, e.scope.account, e.scope.region, e.keyName, e.localKey,
          e.matchedKind,
          e.cloudFingerprint, e.keyPairId, e.recordedKeyPairId, e.movedTo?.scope.endpoint, e.movedTo?.scope.account,
          e.movedTo?.scope.region, e.movedTo?.keyName, e.instancesInUse.map(String.init), e.failure?.kind,
          e.failure?.message, e.discovered ? "1" : "0", e.boundAs?.scope.endpoint, e.boundAs?.scope.account,
          e.boundAs?.scope.region, e.boundAs?.keyName, e.asOf.map(String.init), e.note,
        ])
    }
    return o
  }

  /// Decodes lines written by ``encodeRecords()``.
  public init(records text: String) throws(AuditRecordsError) {
    var lines = Self.split(Substring(text), 0x0a).filter { !$0.isEmpty }[...]
    guard let header = lines.popFirst() else { throw .malformed(line: 1, "empty") }
    let h = Self.split(header, 0x09)
    guard h.count == 3, h[0] == "keyhold-audit" else { throw .malformed(line: 1, "not a keyhold audit record file") }
    guard h[1] == "\(Self.recordsVersion)" else { throw .unsupportedVersion(String(h[1])) }
    guard let generated = Int64(h[2]) else { throw .malformed(line: 1, "bad time") }
    var entries: [AuditEntry] = []
    var failures: [CloudScope: ListingFailure] = [:]
    for (n, line) in lines.enumerated() {
      let lineNumber = n + 2
      let f = Self.split(line, 0x09).map(Self.unescape)
      switch (f.first ?? nil, f.count) {
      case ("F", 6):
        guard let e = f[1], let a = f[2], let r = f[3], let k = f[4], let m = f[5] else {
          throw .malformed(line: lineNumber, "missing field")
        }
        failures[CloudScope(endpoint: e, account: a, region: r)] = ListingFailure(kind: k, message: m)
      case ("E", 25):
        guard let s = f[1], let state = AuditState(rawValue: s), let ep = f[2], let ac = f[3], let rg = f[4],
          let name = f[5], let discovered = f[18]
        else { throw .malformed(line: lineNumber, "missing or unknown field") }
        var moved: KeyPairLocation?
        if let me = f[11], let ma = f[12], let mr = f[13], let mk = f[14] {
          moved = KeyPairLocation(scope: CloudScope(endpoint: me, account: ma, region: mr), keyName: mk)
        }
        var boundAs: KeyPairLocation?
        if let be = f[19], let ba = f[20], let br = f[21], let bk = f[22] {
          boundAs = KeyPairLocation(scope: CloudScope(endpoint: be, account: ba, region: br), keyName: bk)
        }
        var asOf: Int64?
        if let t = f[23] {
          guard let v = Int64(t) else { throw .malformed(line: lineNumber, "bad time") }
          asOf = v
        }
        var instances: Int?
        if let t = f[15] {
          guard let v = Int(t) else { throw .malformed(line: lineNumber, "bad instance count") }
          instances = v
        }
        var failure: ListingFailure?
        if let k = f[16], let m = f[17] { failure = ListingFailure(kind: k, message: m) }
        entries.append(
          AuditEntry(
            state: state, scope: CloudScope(endpoint: ep, account: ac, region: rg), keyName: name, localKey: f[6],
            matchedKind: f[7], cloudFingerprint: f[8], keyPairId: f[9], recordedKeyPairId: f[10], movedTo: moved,
            instancesInUse: instances, failure: failure, discovered: discovered == "1", boundAs: boundAs, asOf: asOf,
            note: f[24]))
      default:
        throw .malformed(line: lineNumber, "unknown record")
      }
    }
    self.init(entries: entries, failures: failures, generatedAt: generated)
  }

  private static func line(_ o: inout String, _ fields: [String?]) {
    for (i, f) in fields.enumerated() {
      if i > 0 { o += "\t" }
      guard let f else {
        o += "\\N"
        continue
      }
      if f.utf8.contains(where: { $0 == 0x09 || $0 == 0x0a || $0 == 0x0d || $0 == 0x5c }) {
        for ch in f.unicodeScalars {
          switch ch {
          case "\t": o += "\\t"
          case "\n": o += "\\n"
          case "\r": o += "\\r"
          case "\\": o += "\\\\"
          default: o.unicodeScalars.append(ch)
          }
        }
      } else {
        o += f
      }
    }
    o += "\n"
  }

  /// Splits on an ASCII byte, scanning UTF-8 (much faster than splitting on a Character).
  private static func split(_ s: Substring, _ byte: UInt8) -> [Substring] {
    var out: [Substring] = []
    let u = s.utf8
    var start = u.startIndex
    var i = start
    while i != u.endIndex {
      if u[i] == byte {
        out.append(Substring(u[start..<i]))
        start = u.index(after: i)
      }
      i = u.index(after: i)
    }
    out.append(Substring(u[start..<u.endIndex]))
    return out
  }

  private static func unescape(_ field: Substring) -> String? {
    if field == "\\N" { return nil }
    guard field.utf8.contains(0x5c) else { return String(field) }
    var out = ""
    var escaping = false
    for ch in field.unicodeScalars {
      if escaping {
        switch ch {
        case "t": out += "\t"
        case "n": out += "\n"
        case "r": out += "\r"
        default: out.unicodeScalars.append(ch)
        }
        escaping = false
      } else if ch == "\\" {
        escaping = true
      } else {
        out.unicodeScalars.append(ch)
      }
    }
    return out
  }
}

/// Why stored report lines cannot be read back.
public enum AuditRecordsError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A line does not have the expected shape.
  case malformed(line: Int, String)
  /// The file was written by a newer format.
  case unsupportedVersion(String)

  /// A lowercase one-line description.
  public var description: String {
    switch self {
    case .malformed(let n, let why): return "audit records: line \(n): \(why)"
    case .unsupportedVersion(let v): return "audit records: unsupported version \(v)"
    }
  }
}
