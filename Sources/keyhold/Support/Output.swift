import KeyholdSystem

/// Writes text to standard output, all of it, unbuffered (so nothing is lost if the process is killed right after).
func writeStdout(_ text: String) throws {
  try writeAll(1, Array(text.utf8))
}

/// Writes every byte to a descriptor (KeyholdSystem's write-all: short writes retried, EPIPE an error).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
  do {
    try Descriptor.writeAll(fd, bytes, label: "output")
  } catch {
    throw CLIError("cannot write output: \(SystemError.reason(error.code))")
  }
}

/// Asks a yes/no question on the terminal; nil when there is no terminal to ask on.
func confirm(_ question: String) -> Bool? { Terminal.confirm(question) }
