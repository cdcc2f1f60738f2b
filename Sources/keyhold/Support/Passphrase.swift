import KeyholdCrypto
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// Reads passphrases the way keyhold(1) documents: from `--passphrase-fd N`, else the terminal without echo, else
/// `SSH_ASKPASS` when there is no terminal. Never from argv or the environment.
struct PassphraseSource {
  /// A descriptor to read passphrases from (one per line), from `--passphrase-fd`.
  var fd: Int32?

  /// Reads one passphrase, showing `prompt` on the terminal or to the askpass program.
  func read(prompt: String) throws -> SecureBytes {
    if let fd {
      return try readLine(fd: fd, prompt: nil)
    }
    let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
    if tty >= 0 {
      defer { close(tty) }
      return try readLine(fd: tty, prompt: prompt, noEcho: true)
    }
    if let askpass = getenv("SSH_ASKPASS").map({ String(cString: $0) }), !askpass.isEmpty {
      guard let secret = Askpass.passphrase(prompt, program: askpass) else {
        throw CLIError("passphrase entry cancelled (SSH_ASKPASS program \(askpass) failed)")
      }
      return secret
    }
    throw CLIError(
      "cannot read a passphrase: no terminal, SSH_ASKPASS unset and no --passphrase-fd",
      hint: "pass the passphrase on a descriptor, e.g. --passphrase-fd 3 3<passfile")
  }

  /// Reads a new passphrase twice and checks both entries match.
  func readNew(prompt: String, confirm: String) throws -> SecureBytes {
    let first = try read(prompt: prompt)
    if fd != nil { return first }  // a descriptor gives it once
    let second = try read(prompt: confirm)
    let same = first.withUnsafeBytes { a in second.withUnsafeBytes { b in SecureBytes.constantTimeEqual(a, b) } }
    guard same else { throw CLIError("passphrases do not match") }
    return first
  }

  private func readLine(fd: Int32, prompt: String?, noEcho: Bool = false) throws -> SecureBytes {
    var saved = termios()
    var restored = true
    if noEcho, tcgetattr(fd, &saved) == 0 {
      var raw = saved
      raw.c_lflag &= ~tcflag_t(ECHO)
      raw.c_lflag |= tcflag_t(ECHONL)
      if tcsetattr(fd, TCSAFLUSH, &raw) == 0 { restored = false }
    }
    defer {
      if !restored { tcsetattr(fd, TCSAFLUSH, &saved) }
    }
    if let prompt {
      _ = prompt.withCString { write(fd, $0, strlen($0)) }
    }
    var buf = [UInt8]()
    defer { SecureBytes.wipe(&buf) }
    buf.reserveCapacity(256)
    var byte: UInt8 = 0
    while true {
      let n = Glibc.read(fd, &byte, 1)
      if n < 0 {
        if errno == EINTR { continue }
        throw CLIError("cannot read passphrase: \(String(cString: strerror(errno)))")
      }
      if n == 0 || byte == UInt8(ascii: "\n") { break }
      if buf.count >= 4096 { throw CLIError("passphrase longer than 4096 bytes") }
      buf.append(byte)
    }
    if buf.last == UInt8(ascii: "\r") { buf.removeLast() }
    return SecureBytes(copying: buf)
  }
}
