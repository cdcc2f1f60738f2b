import Foundation
import HostBook
import TestSupport
import Testing

/// The books as the agent follows and writes them: throttled looks, generations that move only with the mapping,
/// unreadable files that keep the last good index, a bounded queue and one background writer.
@Suite struct LiveHostBookTests {
  @Test func filesThatAppearAfterTheStartArePickedUpAtTheNextLookAfterTheInterval() throws {
    let f = BookFolder()
    defer { f.remove() }
    let clock = ManualClock()
    let live = LiveHostBook(book: f.book, now: clock.now, startWriter: false)
    #expect(live.snapshot() == .init(generation: 0, keysByHost: [:]))
    try f.book.record([TestKeys.use(host: 1, key: 2)])
    // Within the check interval the files are not looked at.
    clock.advance(milliseconds: 50)
    #expect(live.snapshot().keysByHost.isEmpty)
    clock.advance(milliseconds: 50)
    let s = live.snapshot()
    #expect(s.generation == 1)
    #expect(s.keysByHost == [TestKeys.fingerprint(1): [TestKeys.fingerprint(2)]])
  }

  @Test func theGenerationMovesOnlyWhenTheMappingChanges() throws {
    let f = BookFolder()
    defer { f.remove() }
    let live = LiveHostBook(book: f.book, checkInterval: 0, startWriter: false)
    try f.book.record([TestKeys.use(host: 1, key: 2)])
    #expect(live.snapshot().generation == 1)
    // The same host, key and user again: the file changes (a later use), the mapping does not.
    try f.book.record([TestKeys.use(host: 1, key: 2, at: "2026-12-02T05:00:00Z")])
    #expect(try f.book.learned().first?.uses == 2)
    #expect(live.snapshot().generation == 1)
    try f.book.record([TestKeys.use(host: 3, key: 2)])
    let s = live.snapshot()
    #expect(s.generation == 2)
    #expect(s.keysByHost.count == 2)
  }

  @Test func consoleHostKeysMapToTheVaultKeyOfTheInstance() throws {
    let f = BookFolder()
    defer { f.remove() }
    let live = LiveHostBook(book: f.book, checkInterval: 0, startWriter: false)
    try f.book.saveInstances([
      CloudInstance(
        endpoint: "aws", account: "123456789012", region: "us-east-1", id: "i-1", state: "running",
        keyFingerprint: TestKeys.fingerprint(9), hostKeys: [TestKeys.line(4), TestKeys.line(5)]),
      // No vault key for its key pair: nothing to offer.
      CloudInstance(
        endpoint: "aws", account: nil, region: "us-east-1", id: "i-2", state: "running", hostKeys: [TestKeys.line(6)]),
    ])
    #expect(
      live.snapshot().keysByHost == [
        TestKeys.fingerprint(4): [TestKeys.fingerprint(9)], TestKeys.fingerprint(5): [TestKeys.fingerprint(9)],
      ])
  }

  @Test func anUnreadableFileKeepsTheLastGoodIndexAndIsReportedOnceUntilItReadsAgain() throws {
    let f = BookFolder()
    defer { f.remove() }
    let reports = Reports()
    let live = LiveHostBook(book: f.book, checkInterval: 0, report: reports.sink, startWriter: false)
    try f.book.record([TestKeys.use(host: 1, key: 2)])
    let good = live.snapshot()
    #expect(good.generation == 1)
    try Data("{\"format\":\"keyhold-hosts\",\"version\":1}\nnot json\n".utf8).write(
      to: URL(fileURLWithPath: f.book.learnedPath))
    #expect(live.snapshot() == good)
    try Data("garbage\u{1b}[2J\n".utf8).write(to: URL(fileURLWithPath: f.book.learnedPath))
    #expect(live.snapshot() == good)
    #expect(reports.all.count == 1)
    #expect(reports.all.first?.contains(f.book.learnedPath) == true)
    #expect(reports.all.first?.contains("line 2") == true)
    // Readable again, then broken again: a new problem is a new report.
    try FileManager.default.removeItem(atPath: f.book.learnedPath)
    try f.book.record([TestKeys.use(host: 7, key: 2)])
    #expect(live.snapshot().keysByHost.keys.sorted() == [TestKeys.fingerprint(7)])
    try Data("{\"format\":\"keyhold-hosts\",\"version\":9}\n".utf8).write(to: URL(fileURLWithPath: f.book.learnedPath))
    #expect(live.snapshot().keysByHost.keys.sorted() == [TestKeys.fingerprint(7)])
    #expect(reports.all.count == 2)
    #expect(reports.all.last?.contains("version 9") == true)
  }

  @Test func enqueueReturnsAtOnceAndDropsAndCountsBeyondTheLimit() throws {
    let f = BookFolder()
    defer { f.remove() }
    let reports = Reports()
    let live = LiveHostBook(
      book: f.book, checkInterval: 0, queueLimit: 4, report: reports.sink, startWriter: false)
    let queued = (0..<6).map { live.enqueue(TestKeys.use(host: UInt8($0), key: 100)) }
    #expect(queued == [true, true, true, true, false, false])
    #expect(live.losses == .init(dropped: 2, failed: 0))
    #expect(reports.all.count == 1)
    #expect(try f.book.learned().isEmpty)
    live.drainQueue()
    #expect(try f.book.learned().count == 4)
    // The writer re-read the index after its own write: no interval had to pass.
    let clockless = live.snapshot()
    #expect(clockless.keysByHost.count == 4)
  }

  @Test func theWriterThreadMergesQueuedRecordsIntoTheFile() throws {
    let f = BookFolder()
    defer { f.remove() }
    let clock = ManualClock()
    let live = LiveHostBook(book: f.book, now: clock.now)
    defer { live.stopWriter() }
    for i in 0..<200 { live.enqueue(TestKeys.use(host: UInt8(i % 50), key: 1)) }
    #expect(live.flush(seconds: 60))
    let records = try f.book.learned()
    #expect(records.count == 50)
    #expect(records.map(\.uses).reduce(0, +) == 200)
    // The clock never moved, yet the snapshot has every host: the writer refreshed after writing.
    #expect(live.snapshot().keysByHost.count == 50)
    #expect(live.losses == .init(dropped: 0, failed: 0))
  }

  /// With no interval (the agent's setting) a snapshot sees every change made before it, even while the writer's
  /// own look is under way: it waits for that look and looks again, never returning what the writer stamped first.
  @Test func withNoIntervalASnapshotSeesEveryChangeMadeBeforeItWhileTheWriterLooks() throws {
    let f = BookFolder()
    defer { f.remove() }
    let live = LiveHostBook(book: f.book, checkInterval: 0)
    defer { live.stopWriter() }
    var stale: [Int] = []
    for round in 0..<60 {
      // Keep the writer writing and looking while the instances file changes under it.
      for k in 0..<4 { live.enqueue(TestKeys.use(host: UInt8(100 + k), key: UInt8(round % 50))) }
      let host = UInt8(round % 90)
      try f.book.saveInstances([
        CloudInstance(
          endpoint: "aws", account: nil, region: "us-east-1", id: "i-\(round)", state: "running",
          keyFingerprint: TestKeys.fingerprint(200), hostKeys: [TestKeys.line(host)])
      ])
      if live.snapshot().keysByHost[TestKeys.fingerprint(host)] != [TestKeys.fingerprint(200)] { stale.append(round) }
    }
    #expect(live.flush(seconds: 60))
    #expect(stale.isEmpty, "rounds whose snapshot missed the instances written just before: \(stale)")
  }

  @Test func aFailedWriteIsCountedAndReportedOnceAndNeverStopsTheQueue() throws {
    let f = BookFolder()
    defer { f.remove() }
    let reports = Reports()
    // The vault's folder does not exist: the lock file cannot be made.
    let book = HostBook(vaultPath: f.folder + "/missing/vault")
    let live = LiveHostBook(book: book, checkInterval: 0, report: reports.sink, startWriter: false)
    live.enqueue(TestKeys.use(host: 1, key: 2))
    live.drainQueue()
    live.enqueue(TestKeys.use(host: 1, key: 2))
    live.enqueue(TestKeys.use(host: 3, key: 2))
    live.drainQueue()
    #expect(live.losses == .init(dropped: 0, failed: 3))
    #expect(reports.all.count == 1)
    #expect(reports.all.first?.contains("not written") == true)
    // The folder appears: the next record is written, and a later failure would be reported again.
    try FileManager.default.createDirectory(atPath: f.folder + "/missing", withIntermediateDirectories: false)
    #expect(live.enqueue(TestKeys.use(host: 5, key: 2)))
    live.drainQueue()
    #expect(try book.learned().map(\.hostKey) == [TestKeys.fingerprint(5)])
    #expect(live.snapshot().keysByHost.keys.sorted() == [TestKeys.fingerprint(5)])
  }

  @Test func twoWritersUnderTheLockLoseNoRecord() throws {
    let f = BookFolder()
    defer { f.remove() }
    let a = LiveHostBook(book: f.book)
    let b = LiveHostBook(book: HostBook(vaultPath: f.book.vaultPath))
    defer {
      a.stopWriter()
      b.stopWriter()
    }
    for i in 0..<40 {
      a.enqueue(TestKeys.use(host: UInt8(i), key: 1))
      b.enqueue(TestKeys.use(host: UInt8(i), key: 2))
    }
    #expect(a.flush(seconds: 60) && b.flush(seconds: 60))
    #expect(try f.book.learned().count == 80)
  }

  @Test func theFilesAreWrittenWithMode0600() throws {
    let f = BookFolder()
    defer { f.remove() }
    try f.book.record([TestKeys.use(host: 1, key: 2)])
    try f.book.saveInstances([])
    for path in [f.book.learnedPath, f.book.instancesPath] {
      let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
      #expect(mode == 0o600, "\(path)")
    }
  }
}
