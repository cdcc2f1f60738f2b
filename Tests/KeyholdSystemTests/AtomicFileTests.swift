import TestSupport
import Testing

@testable import KeyholdSystem

#if canImport(Glibc)
  import Glibc
#endif

private func contents(_ path: String) -> [UInt8]? { try? BoundedRead.file(path, limit: 1 << 20) }

private func names(in dir: String) -> [String] {
  guard let d = opendir(dir) else { return [] }
  defer { closedir(d) }
  var out: [String] = []
  while let ent = readdir(d) {
    let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    if name != "." && name != ".." { out.append(name) }
  }
  return out.sorted()
}

private func mode(_ path: String) -> UInt32 {
  var st = stat()
  guard stat(path, &st) == 0 else { return 0 }
  return UInt32(st.st_mode) & 0o7777
}

@Test func atomicReplaceWritesTheContentsWithTheGivenModeAndLeavesNoTemporaryFile() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let path = dir + "/report"
  try AtomicFile.replace(path: path, contents: Array("one".utf8), mode: 0o644)
  try AtomicFile.replace(path: path, contents: Array("two".utf8), mode: 0o640)
  #expect(contents(path) == Array("two".utf8))
  #expect(mode(path) == 0o640)
  #expect(names(in: dir) == ["report"])
}

@Test func atomicReplaceLeavesTheOldFileWhenTheWriteFailsHalfway() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let path = dir + "/vault"
  try AtomicFile.replace(path: path, contents: Array("old contents".utf8))
  let failing: (Int32, [UInt8], String) throws(SystemError) -> Void = { fd, bytes, label throws(SystemError) in
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count / 2) }
    throw .io(operation: "write", path: label, code: ENOSPC)
  }
  #expect(throws: SystemError.self) {
    try AtomicFile.replace(resolved: path, contents: Array("new contents".utf8), mode: 0o600, writer: failing)
  }
  #expect(contents(path) == Array("old contents".utf8))
  #expect(names(in: dir) == ["vault"])
}

@Test func atomicReplaceOfAFolderFailsWithTheOperationAndPathInTheMessage() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let path = dir + "/taken"
  #expect(mkdir(path, 0o700) == 0)
  #expect(mkdir(path + "/inside", 0o700) == 0)
  do {
    try AtomicFile.replace(path: path, contents: [1, 2, 3])
    Issue.record("replacing a non-empty folder succeeded")
  } catch {
    #expect(error.description.hasPrefix("cannot rename onto \(path): "))
  }
  #expect(names(in: dir) == ["taken"])
  #expect(names(in: path) == ["inside"])
}

@Test func atomicReplaceWritesThroughASymbolicLinkAndKeepsTheLink() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let real = dir + "/real"
  let link = dir + "/link"
  try AtomicFile.replace(path: real, contents: Array("before".utf8))
  #expect(symlink(real, link) == 0)
  try AtomicFile.replace(path: link, contents: Array("after".utf8))
  var st = stat()
  #expect(lstat(link, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
  #expect(contents(real) == Array("after".utf8))
  #expect(try AtomicFile.resolveTarget(link).hasSuffix("/real"))
}

@Test func aDanglingLinkIsRefusedAsUnresolvable() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let link = dir + "/link"
  #expect(symlink(dir + "/nowhere", link) == 0)
  #expect(throws: SystemError.unresolvableLink(path: link, code: ENOENT)) {
    try AtomicFile.replace(path: link, contents: [0])
  }
}

@Test func staleTemporaryFilesOfOnePathAreRemovedAndOthersKept() throws {
  let dir = TemporaryTree.make("keyhold-system-test")
  defer { TemporaryTree.remove(dir) }
  let path = dir + "/vault"
  try AtomicFile.replace(path: path, contents: [1])
  try AtomicFile.replace(path: dir + "/" + AtomicFile.tempPrefix(for: path) + "dead", contents: [2])
  try AtomicFile.replace(path: dir + "/.other.tmp-dead", contents: [3])
  AtomicFile.removeStaleTemps(for: path)
  #expect(names(in: dir) == [".other.tmp-dead", "vault"])
}

@Test func pathPartsAreTheFolderAndTheLastComponent() {
  #expect(AtomicFile.directory(of: "/a/b/c") == "/a/b")
  #expect(AtomicFile.directory(of: "/c") == "/")
  #expect(AtomicFile.directory(of: "c") == ".")
  #expect(AtomicFile.baseName(of: "/a/b/c") == "c")
  #expect(AtomicFile.tempPrefix(for: "/a/vault") == ".vault.tmp-")
}
