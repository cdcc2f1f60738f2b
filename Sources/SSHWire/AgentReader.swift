/// An ``SSHReader`` whose failures are ``AgentProtocolError``s, so agent decoders have one typed error.
struct AgentReader {
  var inner: SSHReader

  init(_ bytes: [UInt8]) { inner = SSHReader(bytes) }
  init(_ reader: SSHReader) { inner = reader }

  var remaining: Int { inner.remaining }
  var isAtEnd: Bool { inner.isAtEnd }
  var offset: Int { inner.offset }

  mutating func byte() throws(AgentProtocolError) -> UInt8 {
    do { return try inner.readByte() } catch { throw .malformed(error) }
  }

  mutating func bool() throws(AgentProtocolError) -> Bool {
    do { return try inner.readBool() } catch { throw .malformed(error) }
  }

  mutating func uint32() throws(AgentProtocolError) -> UInt32 {
    do { return try inner.readUInt32() } catch { throw .malformed(error) }
  }

  mutating func string() throws(AgentProtocolError) -> [UInt8] {
    do { return try inner.readString() } catch { throw .malformed(error) }
  }

  mutating func utf8() throws(AgentProtocolError) -> String {
    do { return try inner.readUTF8() } catch { throw .malformed(error) }
  }

  mutating func rest() -> [UInt8] { inner.readRest() }

  /// Reads an mpint without interpreting it (its canonical form is the key parser's business).
  mutating func mpint() throws(AgentProtocolError) -> [UInt8] { try string() }

  /// The raw bytes between `start` and the current offset.
  func slice(from start: Int) -> [UInt8] { Array(inner.bytes[start..<inner.offset]) }

  func end() throws(AgentProtocolError) {
    do { try inner.expectEnd() } catch { throw .malformed(error) }
  }
}
