import TestSupport
import Testing

@testable import KeyholdSystem

#if canImport(Glibc)
  import Glibc
#endif

@Test func aSocketPathOf109BytesIsRefusedWithItsLength() {
  let path = "/tmp/" + String(repeating: "s", count: 104)
  #expect(path.utf8.count == 109)
  do {
    _ = try UnixSocketAddress(path: path)
    Issue.record("a 109-byte path was accepted")
  } catch {
    #expect(error == .socketPathTooLong(path: path, bytes: 109))
    #expect(error.description.contains("is 109 bytes"))
    #expect(error.description.contains("at most 107"))
  }
}

@Test func theLongestSocketPathThatFitsIs107BytesAnd108IsRefused() throws {
  #expect(UnixSocketAddress.maxPathBytes == 107)
  let fits = "/tmp/" + String(repeating: "s", count: 102)
  #expect(try UnixSocketAddress(path: fits).withSockaddr { sa, _ in sa.pointee.sa_family } == sa_family_t(AF_UNIX))
  #expect(throws: SystemError.socketPathTooLong(path: fits + "s", bytes: 108)) {
    try UnixSocketAddress(path: fits + "s")
  }
}

@Test func connectReachesAListeningSocketAndNamesThePathWhenNothingListens() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let address = try UnixSocketAddress(path: dir + "/s")
  #expect(throws: SystemError.io(operation: "connect to", path: dir + "/s", code: ENOENT)) {
    try address.connect()
  }
  let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(server) }
  #expect(address.withSockaddr { bind(server, $0, $1) } == 0)
  #expect(listen(server, 1) == 0)
  let client = try address.connect()
  close(client)
  #expect(UnixSocketProbe.accepts(dir + "/s"))
}
