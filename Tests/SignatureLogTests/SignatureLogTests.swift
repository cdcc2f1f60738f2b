import Foundation
import SSHWire
import SignatureLog
import TestSupport
import Testing

@testable import AgentServer

/// The signature log's pieces on their own: the line codec, times, rotation, the writer's queue and failures, the
/// peer process reader and the purpose of signed data.
@Suite struct SignatureLogTests {
  static func sample(_ n: Int = 0, comment: String = "web") -> SignatureRecord {
    SignatureRecord(
      time: SignatureLogTime.format(seconds: 1_764_650_478 + n, milliseconds: 123), key: comment,
      fingerprint: "SHA256:abc\(n)", source: "vault", outcome: "signed", uid: 1000, pid: 4242, process: "ssh",
      exe: "/usr/bin/ssh", parents: [.init(pid: 4000, process: "bash", exe: "/usr/bin/bash")],
      hostKey: "SHA256:host", host: "i-0abc", hops: 1, user: "root", purpose: "ssh-userauth")
  }

  @Test func aRecordRoundTripsThroughItsLine() throws {
    let record = Self.sample()
    let line = SignatureLogCodec.encode(record)
    #expect(line.last == 10)
    #expect(line.filter { $0 == 10 }.count == 1)
    #expect(try SignatureLogCodec.decode(line.dropLast()) == record)
    let text = String(decoding: line, as: UTF8.self)
    for field in [
      "\"v\":1", "\"time\":\"2025-12-02T04:41:18.123Z\"", "\"host_key\":\"SHA256:host\"", "\"hops\":1",
      "\"purpose\":\"ssh-userauth\"", "\"lost\":null", "\"reason\":null",
    ] {
      #expect(text.contains(field), "\(field) missing from \(text)")
    }
  }

  @Test func clientChosenStringsCannotBreakTheLineOrReachATerminalRaw() throws {
    let hostile = "evil\n{\"v\":1}\u{1b}[2J\"\\\u{7f}\t"
    let record = Self.sample(comment: hostile)
    let line = SignatureLogCodec.encode(record)
    #expect(line.filter { $0 == 10 }.count == 1)
    #expect(!line.contains(0x1b) && !line.contains(0x7f) && !line.contains(9))
    #expect(try SignatureLogCodec.decode(line.dropLast()).key == hostile)
  }

  @Test func undecodableLinesAreCountedAndTheRestRead() {
    var lines = SignatureLogLines()
    let good = SignatureLogCodec.encode(Self.sample())
    let (records, bad, why) = lines.take(good + Array("not json\n{\"v\":1}\n".utf8) + good.dropLast(), final: false)
    #expect(records.count == 1)
    #expect(bad == 2)
    #expect(why != nil)
    let (rest, _, _) = lines.take([10])
    #expect(rest == [Self.sample()])
  }

  @Test func timesAreRFC3339UTCAndParseBack() {
    #expect(SignatureLogTime.format(seconds: 0) == "1970-01-01T00:00:00.000Z")
    #expect(SignatureLogTime.format(seconds: 951_782_400, milliseconds: 7) == "2000-02-29T00:00:00.007Z")
    #expect(SignatureLogTime.parse("2000-02-29T00:00:00.007Z") == 951_782_400.007)
    #expect(SignatureLogTime.parse("2000-02-29T01:00:00+01:00") == 951_782_400)
    #expect(SignatureLogTime.parse("2000-02-29") == nil)
    #expect(SignatureLogTime.parse("2000-13-01T00:00:00Z") == nil)
  }

  @Test func theLogRotatesAtItsSizeAndKeepsABoundedNumberOfOldFiles() throws {
    let dir = TemporaryTree.make("siglog-rotate")
    defer { TemporaryTree.remove(dir) }
    let files = SignatureLogFiles(directory: dir + "/state/keyhold", maximumBytes: 2000, keptFiles: 2)
    let writer = SignatureLogWriter<Int>(files: files, batchDelay: 0) { Self.sample($0) }
    for i in 0..<60 {
      writer.append(i)
      writer.drain()
    }
    writer.stop()
    #expect(files.existing() == [files.rotatedPath(2), files.rotatedPath(1), files.path])
    #expect(access(files.rotatedPath(3), F_OK) != 0)
    for file in files.existing() {
      var st = stat()
      #expect(stat(file, &st) == 0 && Int(st.st_size) <= 2000)
      #expect(st.st_mode & 0o777 == 0o600)
    }
    var st = stat()
    #expect(stat(files.directory, &st) == 0 && st.st_mode & 0o777 == 0o700)
    let (records, bad, _) = files.read()
    #expect(bad == 0)
    // The newest records survive, in order, ending with the last one written.
    #expect(records.last == Self.sample(59))
    #expect(records.map(\.fingerprint) == (60 - records.count..<60).map { "SHA256:abc\($0)" })
    #expect(writer.currentStatus() == .init(written: 60, lost: 0, error: nil))
  }

  @Test func manyThreadsAppendingAtOnceLoseNoRecord() throws {
    let dir = TemporaryTree.make("siglog-threads")
    defer { TemporaryTree.remove(dir) }
    let files = SignatureLogFiles(directory: dir)
    let writer = SignatureLogWriter<Int>(files: files) { Self.sample($0) }
    DispatchQueue.concurrentPerform(iterations: 64) { t in
      for i in 0..<100 { writer.append(t * 100 + i) }
    }
    writer.stop()
    let (records, bad, _) = files.read()
    #expect(bad == 0)
    #expect(Set(records.compactMap(\.fingerprint)) == Set((0..<6400).map { "SHA256:abc\($0)" }))
    #expect(writer.currentStatus().written == 6400)
  }

  @Test func anUnwritableLogCountsItsLossesAndSaysSoOnceItWorksAgain() throws {
    let dir = TemporaryTree.make("siglog-unwritable")
    defer { TemporaryTree.remove(dir) }
    // A file where the log's folder should be: every write fails until it is moved away.
    let blocked = dir + "/keyhold"
    #expect(FileManager.default.createFile(atPath: blocked, contents: Data()))
    let files = SignatureLogFiles(directory: blocked)
    let writer = SignatureLogWriter<Int>(files: files, batchDelay: 0) { Self.sample($0) }
    for i in 0..<3 {
      writer.append(i)
      writer.drain()
    }
    let failing = writer.currentStatus()
    #expect(failing.lost == 3 && failing.written == 0)
    #expect(failing.error?.contains("Not a directory") == true)
    try FileManager.default.removeItem(atPath: blocked)
    writer.append(3)
    writer.stop()
    #expect(writer.currentStatus() == .init(written: 1, lost: 3, error: nil))
    let (records, _, _) = files.read()
    #expect(records.count == 2)
    #expect(records.first?.event == .lost)
    #expect(records.first?.lost == 3)
    #expect(records.first?.reason?.contains("Not a directory") == true)
    #expect(records.last == Self.sample(3))
  }

  @Test func thePeerProcessAndItsParentsAreReadFromProc() {
    let me = PeerProcess.read(pid: getpid())
    #expect(me.process.pid == getpid())
    #expect(me.process.name?.isEmpty == false)
    #expect(me.process.executable?.hasPrefix("/") == true)
    #expect(me.parents.first?.pid == getppid())
    #expect(me.parents.count <= PeerProcess.maximumParents)
    let gone = PeerProcess.read(pid: Int32.max)
    #expect(gone.process == .init(pid: Int32.max, name: nil, executable: nil))
    #expect(gone.parents.isEmpty)
  }

  @Test func thePurposeIsReadFromTheSignedData() {
    var w = SSHWriter(capacity: 128)
    w.writeString([1, 2, 3])
    w.writeByte(50)
    w.writeString("deploy")
    w.writeString("ssh-connection")
    w.writeString("publickey")
    w.writeBool(true)
    w.writeString("ssh-ed25519")
    w.writeString([9, 9])
    #expect(SignaturePurpose.of(w.bytes) == .userAuthentication(user: "deploy"))
    #expect(SignaturePurpose.of(w.bytes).name == "ssh-userauth")
    var sig = Array("SSHSIG".utf8)
    var s = SSHWriter(capacity: 64)
    s.writeString("git")
    s.writeString("")
    s.writeString("sha512")
    s.writeString([UInt8](repeating: 7, count: 64))
    sig += s.bytes
    #expect(SignaturePurpose.of(sig).name == "sshsig:git")
    #expect(SignaturePurpose.of(Array("SSHSIG\u{0}\u{0}\u{1}\u{0}".utf8)) == .other)
    #expect(SignaturePurpose.of([1, 2, 3]) == .other)
  }

  @Test func aSignLineBuiltFromKeptPiecesIsTheRecordsLine() {
    var refused = Self.sample(7, comment: "odd \"name\"\n\u{7f}")
    refused.outcome = "refused"
    refused.reason = "host not allowed for this key"
    refused.parents = []
    refused.process = nil
    refused.exe = nil
    refused.hostKey = nil
    refused.host = nil
    refused.user = nil
    refused.purpose = "other"
    var unheld = Self.sample(3)
    unheld.key = nil
    unheld.source = nil
    unheld.time = SignatureLogTime.format(seconds: 1_764_650_400, milliseconds: 7)
    for (record, ms) in [(Self.sample(), 123), (refused, 123), (unheld, 7)] {
      let seconds = Int(record.epochSeconds!)
      var line: [UInt8] = []
      SignatureLogCodec.encodeSign(
        time: SignatureLogTime.Stamp(seconds: seconds), milliseconds: ms, key: record.key,
        fingerprint: SignatureLogCodec.jsonValue(record.fingerprint), source: record.source, reason: record.reason,
        uid: record.uid!, pid: record.pid!,
        peer: SignatureLogCodec.peerFields(process: record.process, exe: record.exe, parents: record.parents),
        hostKey: record.hostKey.map { SignatureLogCodec.jsonValue($0) }, host: record.host, hops: record.hops,
        user: record.user, purpose: record.purpose!, into: &line)
      #expect(
        String(decoding: line, as: UTF8.self) == String(decoding: SignatureLogCodec.encode(record), as: UTF8.self))
    }
  }

  @Test func anEventKeepsOnlyDataThatMayNameAPurposeAndReadsItLater() {
    var w = SSHWriter(capacity: 128)
    w.writeString([1, 2, 3])
    w.writeByte(50)
    w.writeString("deploy")
    w.writeString("ssh-connection")
    w.writeString("publickey")
    w.writeBool(true)
    w.writeString("ssh-ed25519")
    w.writeString([9, 9])
    var sig = Array("SSHSIG".utf8)
    var s = SSHWriter(capacity: 64)
    s.writeString("git")
    s.writeString("")
    s.writeString("sha512")
    s.writeString([UInt8](repeating: 7, count: 64))
    sig += s.bytes
    var big = w.bytes
    big += [UInt8](repeating: 0, count: SignaturePurpose.deferredLimit)
    let samples: [[UInt8]] = [
      w.bytes, sig, Array("SSHSIG\u{0}\u{0}\u{1}\u{0}".utf8), [UInt8](repeating: 0x5a, count: 128), [1, 2, 3],
      [0, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 9, 50, 0, 0, 0, 1], big, [],
    ]
    for data in samples {
      let event = SignatureEvent(
        keyBlob: [1], keyComment: nil, source: nil, refusal: nil, peerUID: 0, peerPID: 0, peer: nil, hostKey: nil,
        hops: 0, data: data)
      #expect(event.purpose == SignaturePurpose.of(data))
      if !SignaturePurpose.mayBeNamed(data) { #expect(SignaturePurpose.of(data) == .other) }
    }
    #expect(SignaturePurpose.mayBeNamed(w.bytes) && SignaturePurpose.mayBeNamed(sig))
    #expect(!SignaturePurpose.mayBeNamed([UInt8](repeating: 0x5a, count: 128)))
  }

  @Test func theStatusReplyCarriesTheLogAndStillReadsAnOlderAgentsReply() {
    var status = AgentStatus(
      locked: false, vault: .none, vaultSeconds: 5, secondsLeft: 0, addedKeys: 1, vaultKeys: 0, listedVaultKeys: 0,
      socketPath: "/s", pid: 7, sealedNote: "")
    let old = status.encode()
    status.log = SignatureLogState(path: "/l/signatures.log", written: 10, lost: 2, error: "No space left on device")
    #expect(AgentStatus.decode(status.encode()) == status)
    #expect(AgentStatus.decode(Array(status.encode().dropLast())) == nil)
    #expect(AgentStatus.decode(old)?.log == nil)
    #expect(AgentStatus.decode(old)?.pid == 7)
  }
}
