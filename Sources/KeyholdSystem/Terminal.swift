#if canImport(Glibc)
  import Glibc
#endif

/// Prompts on the controlling terminal (`/dev/tty`, never standard input, which may carry data): y/N questions
/// and lines typed without echo.
public enum Terminal {
  /// Asks `question` followed by ` [y/N] ` and reads one answer line; true for `y` or `yes` in any case, false for
  /// anything else (an empty line, end of input). Nil when there is no terminal to ask on.
  public static func confirm(_ question: String) -> Bool? {
    guard let tty = openTTY() else { return nil }
    defer { close(tty) }
    try? Descriptor.writeAll(tty, Array((question + " [y/N] ").utf8), label: "/dev/tty")
    var answer: [UInt8] = []
    var byte: UInt8 = 0
    while true {
      let n = read(tty, &byte, 1)
      if n < 0 && errno == EINTR { continue }
      // Longer answers are read to their end but not kept: none of them is a yes.
      guard n == 1, byte != UInt8(ascii: "\n") else { break }
      if answer.count <= 16 { answer.append(byte) }
    }
    if answer.last == UInt8(ascii: "\r") { answer.removeLast() }
    let text = String(decoding: answer, as: UTF8.self).lowercased()
    return text == "y" || text == "yes"
  }

  /// Shows `prompt` on the terminal and reads one line with echo off (a passphrase), handing its bytes to `body`;
  /// the buffer is zeroed afterwards. ``SystemError/noTerminal`` when there is no terminal.
  public static func readHidden<T>(
    prompt: String, limit: Int = 4096, _ body: (UnsafeRawBufferPointer) -> T
  ) throws(SystemError) -> T {
    guard let tty = openTTY() else { throw .noTerminal }
    defer { close(tty) }
    return try readLine(fd: tty, label: "/dev/tty", prompt: prompt, hideInput: true, limit: limit, body)
  }

  /// Reads one line from `fd` (up to a newline or end of input, a trailing carriage return dropped) and hands its
  /// bytes to `body`; the buffer is zeroed afterwards. With `prompt`, writes it to `fd` first; with `hideInput` and
  /// a terminal at `fd`, echo is off while the line is typed (the newline still echoes) and restored after.
  public static func readLine<T>(
    fd: Int32, label: String, prompt: String? = nil, hideInput: Bool = false, limit: Int = 4096,
    _ body: (UnsafeRawBufferPointer) -> T
  ) throws(SystemError) -> T {
    var saved = termios()
    var changed = false
    if hideInput, tcgetattr(fd, &saved) == 0 {
      var quiet = saved
      quiet.c_lflag &= ~tcflag_t(ECHO)
      quiet.c_lflag |= tcflag_t(ECHONL)
      changed = tcsetattr(fd, TCSAFLUSH, &quiet) == 0
    }
    defer { if changed { tcsetattr(fd, TCSAFLUSH, &saved) } }
    if let prompt { try Descriptor.writeAll(fd, Array(prompt.utf8), label: label) }
    // Reserved once so the line never moves: a reallocation would leave a copy of it behind unwiped.
    var line = [UInt8]()
    line.reserveCapacity(limit + 1)
    defer { Descriptor.wipe(&line) }
    var byte: UInt8 = 0
    defer { byte = 0 }
    while true {
      let n = read(fd, &byte, 1)
      if n < 0 {
        let e = errno
        if e == EINTR { continue }
        throw .io(operation: "read", path: label, code: e)
      }
      if n == 0 || byte == UInt8(ascii: "\n") { break }
      if line.count >= limit { throw .lineTooLong(limit: limit) }
      line.append(byte)
    }
    let end = line.last == UInt8(ascii: "\r") ? line.count - 1 : line.count
    return line.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
  }

  /// The controlling terminal opened for reading and writing, or nil when the process has none.
  public static func openTTY() -> Int32? {
    let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
    return tty >= 0 ? tty : nil
  }
}
