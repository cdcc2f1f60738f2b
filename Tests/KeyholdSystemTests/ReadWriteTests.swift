import TestSupport
import Testing

@testable import KeyholdSystem

#if canImport(Glibc)
  import Glibc
#endif

@Test func boundedReadReturnsTheWholeFileAtTheCap() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
  try AtomicFile.replace(path: dir + "/f", contents: bytes)
  #expect(try BoundedRead.file(dir + "/f", limit: bytes.count) == bytes)
  #expect(try BoundedRead.file(dir + "/f", limit: bytes.count, wipe: true) == bytes)
}

@Test func boundedReadRefusesAFileOverTheCapNamingThePathAndLimit() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  try AtomicFile.replace(path: dir + "/f", contents: [UInt8](repeating: 7, count: 101))
  do {
    _ = try BoundedRead.file(dir + "/f", limit: 100)
    Issue.record("a 101-byte file was read with a 100-byte cap")
  } catch {
    #expect(error == .tooLarge(path: dir + "/f", limit: 100))
    #expect(error.description == "\(dir)/f is larger than 100 bytes")
  }
}

@Test func boundedReadOfAMissingFileIsNilAndOfAFolderAnError() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  #expect(try BoundedRead.file(dir + "/missing", limit: 10) == nil)
  #expect(throws: SystemError.io(operation: "read", path: dir, code: EISDIR)) {
    try BoundedRead.file(dir, limit: 10)
  }
}

@Test func writeAllToAPipeWithNoReaderIsAnEPIPEErrorAndNoSignal() throws {
  var fds: [Int32] = [0, 0]
  #expect(pipe(&fds) == 0)
  close(fds[0])
  defer { close(fds[1]) }
  #expect(throws: SystemError.io(operation: "write", path: "the pipe", code: EPIPE)) {
    try Descriptor.writeAll(fds[1], [1, 2, 3], label: "the pipe")
  }
  // The process is still here (the signal's default action would have ended it), and none is left pending.
  var pending = sigset_t()
  sigpending(&pending)
  #expect(sigismember(&pending, SIGPIPE) == 0)
}

@Test func writeAllDeliversEveryByteThroughAPipe() throws {
  var fds: [Int32] = [0, 0]
  #expect(pipe(&fds) == 0)
  defer { close(fds[0]) }
  // Less than a pipe buffer (64 KiB on Linux, pipe(7)) holds, so the write completes before anything reads.
  let bytes = (0..<60_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
  try Descriptor.writeAll(fds[1], bytes, label: "the pipe")
  close(fds[1])
  #expect(try BoundedRead.descriptor(fds[0], label: "the pipe", limit: 1 << 20) == bytes)
}

@Test func aLineIsReadWithoutItsNewlineOrCarriageReturn() throws {
  let text = try lines("secret\r\nnext\n") { fd in
    try Terminal.readLine(fd: fd, label: "the pipe") { String(decoding: $0, as: UTF8.self) }
  }
  #expect(text == "secret")
}

@Test func aLineOverTheLimitIsRefused() throws {
  #expect(throws: SystemError.lineTooLong(limit: 4)) {
    try lines("12345\n") { fd in try Terminal.readLine(fd: fd, label: "the pipe", limit: 4) { $0.count } }
  }
  #expect(try lines("1234") { fd in try Terminal.readLine(fd: fd, label: "the pipe", limit: 4) { $0.count } } == 4)
}

@Test func blockingReturnsTheValueAndRethrowsTheTypedError() throws {
  struct Failure: Error, Equatable {}
  #expect(blocking { () async -> Int in 42 } == 42)
  #expect(throws: Failure()) { try blocking { () async throws(Failure) -> Int in throw Failure() } }
}

/// Runs `body` with the read end of a pipe that holds `text` and is then closed.
private func lines<T>(_ text: String, _ body: (Int32) throws -> T) throws -> T {
  var fds: [Int32] = [0, 0]
  #expect(pipe(&fds) == 0)
  defer { close(fds[0]) }
  try Descriptor.writeAll(fds[1], Array(text.utf8), label: "the pipe")
  close(fds[1])
  return try body(fds[0])
}
