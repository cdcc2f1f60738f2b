#if canImport(Glibc)
  import Glibc
#endif

/// Asks a yes/no question on the terminal; nil when there is no terminal to ask on.
func confirm(_ question: String) -> Bool? {
  let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
  guard tty >= 0 else { return nil }
  defer { close(tty) }
  let prompt = question + " [y/N] "
  _ = prompt.withCString { write(tty, $0, strlen($0)) }
  var answer: [UInt8] = []
  var byte: UInt8 = 0
  while read(tty, &byte, 1) == 1 && byte != 0x0a && answer.count < 16 { answer.append(byte) }
  let text = String(decoding: answer, as: UTF8.self).lowercased()
  return text == "y" || text == "yes"
}
