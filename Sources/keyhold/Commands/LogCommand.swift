import AgentServer
import ArgumentParser
import SignatureLog

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold log`: the signature log, which the agent keeps of every sign request it answered (keyhold-log(1)).
struct LogCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log",
    abstract: "Show which key signed what, for which process and host (the agent's signature log).")

  @Flag(name: .long, help: "Print one JSON object per line, with the log's field names (keyhold-log(1)).")
  var json = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Only records since WHEN: an RFC 3339 time, a date (YYYY-MM-DD, UTC) or an age (30m, 12h, 7d, 2w).",
      valueName: "when"))
  var since: String?

  @Option(name: .long, help: ArgumentHelp("Only this key: its name or its SHA256 fingerprint.", valueName: "key"))
  var key: String?

  @Option(
    name: .long, help: ArgumentHelp("Only this host: its name or its host key's SHA256 fingerprint.", valueName: "host")
  )
  var host: String?

  @Option(name: .long, help: ArgumentHelp("Only `signed` or only `refused` records.", valueName: "outcome"))
  var outcome: String?

  @Flag(name: .shortAndLong, help: "Keep printing records as the agent writes them.")
  var follow = false

  func validate() throws {
    if let outcome, outcome != "signed" && outcome != "refused" {
      throw ValidationError("unknown outcome '\(outcome)'; choose signed or refused")
    }
    if let since, Self.parseSince(since, now: 0) == nil {
      throw ValidationError(
        "--since '\(since)' is neither an RFC 3339 time, a date YYYY-MM-DD nor an age such as 30m, 12h, 7d or 2w")
    }
  }

  func run() throws {
    try runReportingErrors {
      let files = try SignatureLogLocation.resolve()
      let cutoff = since.flatMap { Self.parseSince($0, now: Double(time(nil))) }
      let filter = Filter(cutoff: cutoff, key: key, host: host, outcome: outcome)
      // The rotated files, then the current one through the follower, so --follow starts where this ends.
      var records: [SignatureRecord] = []
      var unreadable = 0
      var firstError: String? = nil
      for file in files.existing() where file != files.path {
        let (got, bad, why) = Self.readOne(file)
        records += got
        unreadable += bad
        if firstError == nil { firstError = why }
      }
      let follower = SignatureLogFollower(files: files)
      let (current, bad) = follower.poll()
      records += current
      unreadable += bad
      if unreadable > 0 {
        printError(
          "keyhold: warning: \(unreadable) line\(unreadable == 1 ? "" : "s") of the signature log could not be read"
            + (firstError.map { " (\(AgentLogEscape.escape($0)))" } ?? ""))
      }
      let shown = records.filter(filter.matches)
      let widths = Table.widths(shown)
      if !json { try writeStdout(Table.header(widths)) }
      try write(shown, widths: widths)
      guard follow else { return }
      while true {
        usleep(250_000)
        let (more, _) = follower.poll()
        try write(more.filter(filter.matches), widths: widths)
      }
    }
  }

  private func write(_ records: [SignatureRecord], widths: Table.Widths) throws {
    guard !records.isEmpty else { return }
    var out = ""
    for r in records {
      out += json ? String(decoding: SignatureLogCodec.encode(r), as: UTF8.self) : Table.row(r, widths)
    }
    try writeStdout(out)
  }

  static func readOne(_ path: String) -> ([SignatureRecord], Int, String?) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return ([], 1, "\(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var lines = SignatureLogLines()
    var records: [SignatureRecord] = []
    var bad = 0
    var why: String? = nil
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 && errno == EINTR { continue }
      let (got, unreadable, e) = lines.take(n > 0 ? Array(buffer[0..<n]) : [], final: n <= 0)
      records += got
      bad += unreadable
      if why == nil, let e { why = "\(path): \(e)" }
      if n <= 0 { break }
    }
    return (records, bad, why)
  }

  /// Seconds since the epoch for `--since`: an RFC 3339 time, `YYYY-MM-DD` (midnight UTC) or an age before `now`.
  static func parseSince(_ text: String, now: Double) -> Double? {
    if let t = SignatureLogTime.parse(text) { return t }
    if text.utf8.count == 10, let t = SignatureLogTime.parse(text + "T00:00:00Z") { return t }
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
    guard let unit = text.last, let scale = units[unit], let n = UInt32(text.dropLast()) else { return nil }
    return now - Double(n) * scale
  }

  /// Which records the options select.
  struct Filter {
    var cutoff: Double?
    var key: String?
    var host: String?
    var outcome: String?

    func matches(_ r: SignatureRecord) -> Bool {
      if let cutoff, (r.epochSeconds ?? 0) < cutoff { return false }
      if r.event == .lost { return key == nil && host == nil && outcome == nil }
      if let key, r.key != key && r.fingerprint != key && r.fingerprint != "SHA256:" + key { return false }
      if let host, r.host != host && r.hostKey != host && r.hostKey != "SHA256:" + host { return false }
      if let outcome, r.outcome != outcome { return false }
      return true
    }
  }

  /// The terminal table: one line per record, client-chosen strings escaped (keyhold-log(1), OUTPUT).
  enum Table {
    typealias Widths = [Int]
    static let titles = ["TIME (UTC)", "OUTCOME", "KEY", "PURPOSE", "USER", "HOST", "PROCESS"]

    static func cells(_ r: SignatureRecord) -> [String] {
      let time = String(r.time.prefix(19).map { $0 == "T" ? " " : $0 })
      if r.event == .lost {
        return [time, "lost", "\(r.lost ?? 0) records", "", "", "", AgentLogEscape.escape(r.reason ?? "")]
      }
      var outcome = r.outcome ?? "-"
      if let reason = r.reason { outcome += " (\(reason))" }
      var process = (r.process ?? "?") + "[\(r.pid.map(String.init) ?? "?")]"
      if let parent = r.parents.first { process += " < " + (parent.process ?? "?") }
      var host = r.host ?? r.hostKey ?? "-"
      if r.hops > 1 { host += " (\(r.hops) hops)" }
      return [
        time, outcome, r.key ?? r.fingerprint ?? "-", r.purpose ?? "-", r.user ?? "-", host, process,
      ].map { AgentLogEscape.escape($0) }
    }

    static func widths(_ records: [SignatureRecord]) -> Widths {
      var w = titles.map(\.count)
      for r in records {
        for (i, c) in cells(r).enumerated() { w[i] = max(w[i], min(c.count, 48)) }
      }
      return w
    }

    static func line(_ cells: [String], _ widths: Widths) -> String {
      var out = ""
      for (i, c) in cells.enumerated() {
        if i == cells.count - 1 {
          out += c
        } else {
          out += c + String(repeating: " ", count: max(1, widths[i] - c.count + 2))
        }
      }
      return out + "\n"
    }

    static func header(_ widths: Widths) -> String { line(titles, widths) }
    static func row(_ r: SignatureRecord, _ widths: Widths) -> String { line(cells(r), widths) }
  }
}
