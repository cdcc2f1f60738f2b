#if canImport(Glibc)
  import Glibc
#endif

/// RFC 3339 UTC timestamps as the log writes them: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
public enum SignatureLogTime {
  /// The wall clock now, as seconds and milliseconds since the Unix epoch.
  public static func now() -> (seconds: Int, milliseconds: Int) {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return (Int(ts.tv_sec), Int(ts.tv_nsec / 1_000_000))
  }

  /// Formats `seconds` (since the Unix epoch) and `milliseconds`.
  public static func format(seconds: Int, milliseconds: Int = 0) -> String {
    var t = time_t(seconds)
    var tm = Glibc.tm()
    gmtime_r(&t, &tm)
    func pad(_ v: Int32, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T\(pad(tm.tm_hour, 2)):"
      + "\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
  }

  /// One second's time as a JSON string up to the milliseconds (`"2026-12-02T04:41:18.`), formatted once and
  /// completed for each record of that second: a log writer formats the date once per second, not per record.
  public struct Stamp: Sendable {
    /// The second, since the Unix epoch.
    public let seconds: Int
    private let prefix: [UInt8]

    /// Formats `seconds`.
    public init(seconds: Int) {
      self.seconds = seconds
      prefix = [UInt8(ascii: "\"")] + Array(SignatureLogTime.format(seconds: seconds).utf8.dropLast(4))
    }

    /// Appends the JSON string of this second and `milliseconds` (0–999): what `format` gives, quoted.
    public func append(milliseconds: Int, to out: inout [UInt8]) {
      out.append(contentsOf: prefix)
      let ms = min(max(milliseconds, 0), 999)
      out.append(UInt8(ascii: "0") + UInt8(ms / 100))
      out.append(UInt8(ascii: "0") + UInt8(ms / 10 % 10))
      out.append(UInt8(ascii: "0") + UInt8(ms % 10))
      out.append(UInt8(ascii: "Z"))
      out.append(UInt8(ascii: "\""))
    }
  }

  /// Seconds since the Unix epoch of an RFC 3339 time (`Z` or a `±HH:MM` offset, fraction optional); nil when
  /// `text` is not one.
  public static func parse(_ text: String) -> Double? {
    let b = Array(text.utf8)
    func number(_ at: Int, _ count: Int) -> Int? {
      guard at + count <= b.count else { return nil }
      var v = 0
      for i in at..<(at + count) {
        guard b[i] >= 48 && b[i] <= 57 else { return nil }
        v = v * 10 + Int(b[i] - 48)
      }
      return v
    }
    guard b.count >= 20, let year = number(0, 4), b[4] == 45, let month = number(5, 2), b[7] == 45,
      let day = number(8, 2), b[10] == 84 || b[10] == 116 || b[10] == 32, let hour = number(11, 2), b[13] == 58,
      let minute = number(14, 2), b[16] == 58, let second = number(17, 2),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
    else { return nil }
    var i = 19
    var fraction = 0.0
    if i < b.count && b[i] == 46 {
      i += 1
      var scale = 0.1
      let start = i
      while i < b.count && b[i] >= 48 && b[i] <= 57 {
        fraction += Double(b[i] - 48) * scale
        scale /= 10
        i += 1
      }
      guard i > start else { return nil }
    }
    var offset = 0
    guard i < b.count else { return nil }
    if b[i] == 90 || b[i] == 122 {
      i += 1
    } else if b[i] == 43 || b[i] == 45, let oh = number(i + 1, 2), b.count > i + 3, b[i + 3] == 58,
      let om = number(i + 4, 2)
    {
      offset = (oh * 60 + om) * 60 * (b[i] == 43 ? 1 : -1)
      i += 6
    } else {
      return nil
    }
    guard i == b.count else { return nil }
    return Double(daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
  }

  /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
  static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
  }
}
