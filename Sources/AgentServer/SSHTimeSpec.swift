/// ssh's time format (sshd_config(5) "TIME FORMATS"): a number of seconds, or a sequence of numbers each with
/// a unit `s`, `m`, `h`, `d`, `w` (either case), e.g. `30`, `5m`, `1h30m`.
public enum SSHTimeSpec {
  /// Seconds for `text`, or nil when it is not a valid time (empty, unknown unit, above Int32.max).
  public static func seconds(_ text: String) -> UInt32? {
    guard !text.isEmpty else { return nil }
    var total: UInt64 = 0
    var number: UInt64? = nil
    for ch in text.utf8 {
      if ch >= UInt8(ascii: "0") && ch <= UInt8(ascii: "9") {
        number = (number ?? 0) * 10 + UInt64(ch - UInt8(ascii: "0"))
        if number! > UInt64(Int32.max) { return nil }
        continue
      }
      guard let n = number else { return nil }
      let unit: UInt64
      switch ch {
      case UInt8(ascii: "s"), UInt8(ascii: "S"): unit = 1
      case UInt8(ascii: "m"), UInt8(ascii: "M"): unit = 60
      case UInt8(ascii: "h"), UInt8(ascii: "H"): unit = 3600
      case UInt8(ascii: "d"), UInt8(ascii: "D"): unit = 86400
      case UInt8(ascii: "w"), UInt8(ascii: "W"): unit = 604800
      default: return nil
      }
      total += n * unit
      if total > UInt64(Int32.max) { return nil }
      number = nil
    }
    if let n = number { total += n }
    guard total <= UInt64(Int32.max) else { return nil }
    return UInt32(total)
  }
}
