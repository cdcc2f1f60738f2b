import AgentServer
import KeyholdCore
import SignatureLog

/// How `keyhold show` and `keyhold audit` present a key's last use from the signature log (keyhold-log(1)).
enum LastUsePresentation {
  /// The signature log's key usage, or nil when its location cannot be found (no HOME).
  static func usage() -> KeyUsage? {
    guard let files = try? SignatureLogLocation.resolve() else { return nil }
    return KeyUsage.read(files)
  }

  /// `2026-12-02 04:41:18 UTC ssh-userauth i-0abc (ssh)`, or why there is none.
  static func text(_ use: KeyUsage.Use?, usage: KeyUsage) -> String {
    guard let use else {
      guard let since = usage.since else { return "never (the signature log is empty)" }
      return "not since the signature log begins (\(day(since)))"
    }
    var s = String(use.time.prefix(19).map { $0 == "T" ? " " : $0 }) + " UTC"
    if let p = use.purpose { s += " " + p }
    if let h = use.host { s += " " + h }
    if let p = use.process { s += " (\(p))" }
    return AgentLogEscape.escape(s)
  }

  /// The date of `seconds` since the epoch, UTC.
  static func day(_ seconds: Double) -> String {
    String(SignatureLogTime.format(seconds: Int(seconds)).prefix(10))
  }

  /// The `last_use` JSON object.
  struct UseJSON: Encodable {
    let time: String
    let purpose: String?
    let host: String?
    let process: String?

    init(_ u: KeyUsage.Use) {
      time = u.time
      purpose = u.purpose
      host = u.host
      process = u.process
    }

    enum CodingKeys: String, CodingKey { case time, purpose, host, process }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(time, forKey: .time)
      try c.encode(purpose, forKey: .purpose)
      try c.encode(host, forKey: .host)
      try c.encode(process, forKey: .process)
    }
  }
}
