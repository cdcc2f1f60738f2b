/// Times as reports show them, computed from Unix seconds without a calendar library (the module imports nothing).
public enum AuditTime {
  /// `2026-12-01T19:30:00Z` (RFC 3339, UTC).
  public static func rfc3339(_ t: Int64) -> String {
    let (y, m, d, hh, mm, ss) = civil(t)
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2))Z"
  }

  /// `19:30 UTC` on the day of `now`, else `2026-11-30 19:30 UTC`.
  public static func short(_ t: Int64, now: Int64) -> String {
    let a = civil(t)
    let b = civil(now)
    let time = "\(pad(a.3, 2)):\(pad(a.4, 2)) UTC"
    return (a.0, a.1, a.2) == (b.0, b.1, b.2) ? time : "\(pad(a.0, 4))-\(pad(a.1, 2))-\(pad(a.2, 2)) \(time)"
  }

  /// `4 minutes ago`, `just now`, `3 hours ago`, `2 days ago` (`in the future` for a clock that went back).
  public static func age(_ t: Int64, now: Int64) -> String {
    let d = now - t
    if d < 0 { return "in the future" }
    func n(_ v: Int64, _ unit: String) -> String { "\(v) \(unit)\(v == 1 ? "" : "s") ago" }
    if d < 60 { return "just now" }
    if d < 3600 { return n(d / 60, "minute") }
    if d < 86400 { return n(d / 3600, "hour") }
    return n(d / 86400, "day")
  }

  private static func pad(_ v: Int64, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  /// Year, month, day, hour, minute, second of Unix time `t` (proleptic Gregorian, UTC), by the days-from-civil
  /// inverse of Howard Hinnant's `chrono`-compatible algorithm.
  private static func civil(_ t: Int64) -> (Int64, Int64, Int64, Int64, Int64, Int64) {
    var days = t / 86400
    var secs = t % 86400
    if secs < 0 {
      secs += 86400
      days -= 1
    }
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    return (y, m, d, secs / 3600, (secs % 3600) / 60, secs % 60)
  }
}
