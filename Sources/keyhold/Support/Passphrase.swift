import KeyholdCrypto
import KeyholdSystem
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
      return try passphraseErrors { () throws(SystemError) in
        try Terminal.readLine(fd: fd, label: "descriptor \(fd)") { SecureBytes(copying: $0) }
      }
    }
    do {
      return try Terminal.readHidden(prompt: prompt) { SecureBytes(copying: $0) }
    } catch .noTerminal {
      // No terminal: fall through to askpass.
    } catch {
      return try passphraseErrors { () throws(SystemError) in throw error }
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

  /// Runs a read, worded as the passphrase prompts always were.
  private func passphraseErrors(_ body: () throws(SystemError) -> SecureBytes) throws -> SecureBytes {
    do {
      return try body()
    } catch .lineTooLong(let limit) {
      throw CLIError("passphrase longer than \(limit) bytes")
    } catch {
      throw CLIError("cannot read passphrase: \(SystemError.reason(error.code))")
    }
  }
}
