/// Formats instants as SigV4 wants them: `YYYYMMDD'T'HHMMSS'Z'` and `YYYYMMDD`, in UTC.
///
/// Done by arithmetic on the Unix time rather than with a date formatter, so it has no locale or time-zone state.
public struct AMZDate: Sendable, Equatable {
  /// The `X-Amz-Date` form, e.g. `20150830T123600Z`.
  public let timestamp: String
  /// The credential-scope date, e.g. `20150830`.
  public let day: String

  /// Formats `secondsSince1970` (UTC).
  public init(secondsSince1970: Int64) {
    let days = secondsSince1970 >= 0 ? secondsSince1970 / 86400 : (secondsSince1970 - 86399) / 86400
    let secs = secondsSince1970 - days * 86400
    // Civil-from-days (proleptic Gregorian), after H. Hinnant's date algorithms.
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    day = pad(y, 4) + pad(m, 2) + pad(d, 2)
    timestamp = day + "T" + pad(secs / 3600, 2) + pad(secs % 3600 / 60, 2) + pad(secs % 60, 2) + "Z"
  }
}
