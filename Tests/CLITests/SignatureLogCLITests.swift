import Foundation
import TestSupport
import Testing

/// The signature log end to end: the real agent, OpenSSH's clients and a throwaway sshd leave records that
/// `keyhold log` shows.
@Suite struct SignatureLogCLITests {
  /// `keyhold log ARGS` with the testbed's state folder.
  static func log(_ bed: AgentTestbed, _ arguments: [String] = ["--json"], state: String? = nil) throws -> Spawn.Result
  {
    try bed.run(
      CLIHarness.binary.path, ["log"] + arguments,
      environment: ["XDG_STATE_HOME": state ?? bed.directory.path + "/state"])
  }

  /// The records `keyhold log --json` prints once `count` of them (at least) are there.
  static func records(_ bed: AgentTestbed, atLeast count: Int, _ arguments: [String] = [], state: String? = nil)
    throws -> [[String: Any]]
  {
    var found: [[String: Any]] = []
    Poll.until(Poll.answer, every: .milliseconds(50)) {
      guard let r = try? log(bed, ["--json"] + arguments, state: state), r.status == 0 else { return false }
      found = r.stdout.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
      return found.count >= count
    }
    return found
  }

  @Test func anSSHLoginIsRecordedWithProcessHostKeyUserAndPurpose() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("ed25519", name: "user")
    let sshd = try TestSSHD(authorizedKeys: [key + ".pub"])
    try bed.sshAdd([key])
    let r = try sshd.ssh(bed, "echo logged-in")
    #expect(r.status == 0, "\(r.stderr)")
    let records = try Self.records(bed, atLeast: 1)
    let signed = try #require(records.last)
    #expect(signed["event"] as? String == "sign")
    #expect(signed["outcome"] as? String == "signed")
    #expect(signed["reason"] is NSNull)
    #expect(signed["process"] as? String == "ssh")
    #expect(signed["exe"] as? String == "/usr/bin/ssh")
    #expect((signed["parents"] as? [[String: Any]])?.isEmpty == false)
    #expect(signed["host_key"] as? String == (try bed.fingerprint(sshd.hostKey + ".pub")))
    #expect(signed["hops"] as? Int == 1)
    #expect(signed["user"] as? String == "root")
    #expect(signed["purpose"] as? String == "ssh-userauth")
    #expect(signed["key"] as? String == "user")
    #expect(signed["source"] as? String == "ssh-add")
    #expect(signed["fingerprint"] as? String == (try bed.fingerprint(key + ".pub")))
    #expect(signed["uid"] as? Int == Int(getuid()))
    #expect((signed["time"] as? String)?.hasSuffix("Z") == true)
  }

  /// The record names the instance whose console printed the host key, from the instances file as it is when the
  /// record is written: a sync between two logins names the second at once.
  @Test func aLoginRightAfterTheInstancesFileChangesIsRecordedUnderTheInstanceName() throws {
    let sandbox = try VaultSandbox()
    defer { sandbox.cleanup() }
    let key = try sandbox.keygen("web", type: "ed25519")
    #expect(try sandbox.run(["import", key]).status == 0)
    let bed = try AgentTestbed(flags: ["--vault", sandbox.vault])
    let unlocked = try bed.run(
      CLIHarness.binary.path, ["unlock", "--passphrase-fd", "0"], environment: ["KEYHOLD_VAULT": sandbox.vault],
      stdin: VaultSandbox.passphrase + "\n")
    #expect(unlocked.status == 0, "unlock: \(unlocked.stderr)")
    let sshd = try TestSSHD(authorizedKeys: [key + ".pub"])
    #expect(try sshd.ssh(bed, "true").status == 0)
    let first = try #require(try Self.records(bed, atLeast: 1).last)
    #expect(first["host"] is NSNull)
    // What a sync writes (keyhold-hosts(5), Cloud instances), naming the sshd's host key.
    let hostLine = try String(contentsOfFile: sshd.hostKey + ".pub", encoding: .utf8).split(separator: " ")
    let instance: [String: Any] = [
      "endpoint": "aws", "region": "us-east-1", "id": "i-0123456789abcdef0", "name": "web-1", "state": "running",
      "hostKeys": ["\(hostLine[0]) \(hostLine[1])"],
    ]
    let line = try JSONSerialization.data(withJSONObject: instance, options: [.sortedKeys])
    try ("{\"format\":\"keyhold-instances\",\"version\":1}\n" + String(decoding: line, as: UTF8.self) + "\n")
      .write(toFile: sandbox.vault + ".instances", atomically: true, encoding: .utf8)
    #expect(try sshd.ssh(bed, "true").status == 0)
    let records = try Self.records(bed, atLeast: 2)
    #expect(records.count == 2)
    #expect(records.last?["host"] as? String == "web-1")
  }

  @Test func gitStyleSSHSignaturesAreRecordedWithTheirNamespace() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("ed25519", name: "signer")
    try bed.sshAdd([key])
    let data = bed.directory.path + "/commit"
    try "tree 0\n".write(toFile: data, atomically: true, encoding: .utf8)
    let sign = try bed.run("/usr/bin/ssh-keygen", ["-Y", "sign", "-f", key + ".pub", "-n", "git", data])
    #expect(sign.status == 0, "\(sign.stderr)")
    let record = try #require(try Self.records(bed, atLeast: 1).last)
    #expect(record["purpose"] as? String == "sshsig:git")
    #expect(record["process"] as? String == "ssh-keygen")
    #expect(record["outcome"] as? String == "signed")
    #expect(record["host_key"] is NSNull)
    #expect(record["hops"] as? Int == 0)
    #expect(record["user"] is NSNull)
    let table = try Self.log(bed, [])
    #expect(table.status == 0, "\(table.stderr)")
    #expect(table.stdout.hasPrefix("TIME (UTC)"))
    #expect(table.stdout.contains("sshsig:git"))
    #expect(table.stdout.contains("ssh-keygen["))
  }

  @Test func aRefusedConfirmationIsRecordedAsRefused() throws {
    let bed = try AgentTestbed(environment: ["SSH_ASKPASS": "/bin/false", "SSH_ASKPASS_REQUIRE": "force"])
    let key = try bed.makeKey("ed25519", name: "careful")
    #expect(
      try bed.sshAdd(["-c", key], environment: ["SSH_ASKPASS": "/bin/true", "SSH_ASKPASS_REQUIRE": "force"]).status == 0
    )
    #expect(try bed.sshAdd(["-T", key + ".pub"]).status != 0)
    let record = try #require(try Self.records(bed, atLeast: 1).last)
    #expect(record["outcome"] as? String == "refused")
    #expect(record["reason"] as? String == "user refused use of the key")
    #expect(record["process"] as? String == "ssh-add")
    #expect(record["key"] as? String == "careful")
    let refused = try Self.log(bed, ["--json", "--outcome", "refused"])
    #expect(refused.stdout.split(separator: "\n").count == 1)
    #expect(try Self.log(bed, ["--json", "--outcome", "signed"]).stdout.isEmpty)
  }

  @Test func aRefusedDestinationIsRecordedAsRefusedWithTheHost() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("ed25519", name: "user")
    let sshd = try TestSSHD(authorizedKeys: [key + ".pub"])
    let knownHosts = bed.directory.path + "/known_hosts"
    let hostLine = try String(contentsOfFile: sshd.hostKey + ".pub", encoding: .utf8)
    try "127.0.0.1 \(hostLine)".write(toFile: knownHosts, atomically: true, encoding: .utf8)
    // The host is allowed, the user is not: the key is offered, and its signature refused.
    #expect(try bed.sshAdd(["-H", knownHosts, "-h", "nobody@127.0.0.1", key]).status == 0)
    #expect(try sshd.ssh(bed, "echo refused").status != 0)
    let hostKey = try bed.fingerprint(sshd.hostKey + ".pub")
    let records = try Self.records(bed, atLeast: 1)
    #expect(!records.isEmpty)
    for record in records {
      #expect(record["outcome"] as? String == "refused")
      #expect(record["reason"] as? String == "destination restriction: host not allowed for this key")
      #expect(record["host_key"] as? String == hostKey)
      #expect(record["user"] as? String == "root")
      #expect(record["process"] as? String == "ssh")
    }
    #expect(try Self.log(bed, ["--json", "--host", hostKey]).stdout.split(separator: "\n").count == records.count)
    #expect(try Self.log(bed, ["--json", "--host", "SHA256:none"]).stdout.isEmpty)
    // A local client (no session bound) is refused too.
    #expect(try bed.sshAdd(["-T", key + ".pub"]).status != 0)
    let local = try #require(try Self.records(bed, atLeast: records.count + 1).last)
    #expect(local["reason"] as? String == "destination restriction: connection is not bound to a session")
    #expect(local["host_key"] is NSNull)
  }

  @Test func sixtyFourClientsSigningAtOnceLoseNoRecord() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("ed25519", name: "busy")
    try bed.sshAdd([key])
    let env = Spawn.environment(["SSH_AUTH_SOCK": bed.socket])
    let pids = try (0..<64).map {
      try Spawn.start(
        "/usr/bin/ssh-add", ["-T", key + ".pub"], environment: env, scratch: bed.directory.path, tag: "c\($0)")
    }
    for (i, pid) in pids.enumerated() {
      #expect(Spawn.wait(pid, scratch: bed.directory.path, tag: "c\(i)").status == 0)
    }
    let records = try Self.records(bed, atLeast: 64)
    #expect(records.count == 64)
    #expect(Set(records.compactMap { $0["pid"] as? Int }) == Set(pids.map(Int.init)))
    #expect(try Self.log(bed, ["--json", "--key", "busy", "--since", "1h"]).stdout.split(separator: "\n").count == 64)
    #expect(try Self.log(bed, ["--json", "--since", "2999-01-01"]).stdout.isEmpty)
  }

  @Test func noLogKeepsNoLog() throws {
    let bed = try AgentTestbed(flags: ["--no-vault", "--no-log"])
    let key = try bed.makeKey("ed25519", name: "quiet")
    try bed.sshAdd([key])
    #expect(try bed.sshAdd(["-T", key + ".pub"]).status == 0)
    let status = try bed.run(CLIHarness.binary.path, ["status"])
    #expect(status.stdout.contains("log:        off\n"), "\(status.stdout)")
    #expect(access(bed.directory.path + "/state/keyhold/signatures.log", F_OK) != 0)
  }

  @Test func aLogOnAFullFilesystemKeepsSigningAndCountsWhatWasLost() throws {
    let mount = try CLIHarness.makeTempDirectory("siglog-full")
    defer { try? FileManager.default.removeItem(at: mount) }
    let tmpfs = try Spawn.run(
      "/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.path], environment: Spawn.environment([:]),
      scratch: NSTemporaryDirectory())
    try #require(tmpfs.status == 0, "mounting a tmpfs needs root: \(tmpfs.stderr)")
    defer {
      _ = try? Spawn.run(
        "/bin/umount", ["-l", mount.path], environment: Spawn.environment([:]), scratch: NSTemporaryDirectory())
    }
    // Fill the filesystem before the agent writes its first record.
    let filler = mount.path + "/filler"
    _ = try Spawn.run(
      "/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=4k", "count=64"], environment: Spawn.environment([:]),
      scratch: NSTemporaryDirectory())
    try FileManager.default.createDirectory(atPath: mount.path + "/state", withIntermediateDirectories: false)
    let bed = try AgentTestbed(environment: ["XDG_STATE_HOME": mount.path + "/state"])
    let key = try bed.makeKey("ed25519", name: "full")
    try bed.sshAdd([key])
    for _ in 0..<3 { #expect(try bed.sshAdd(["-T", key + ".pub"]).status == 0) }
    var status = ""
    Poll.until(Poll.answer, every: .milliseconds(50)) {
      status = (try? bed.run(CLIHarness.binary.path, ["status"]).stdout) ?? ""
      return status.contains("3 lost")
    }
    #expect(status.contains("written, 3 lost"), "\(status)")
    #expect(status.contains("log error:  "))
    // Space again: the next record is written after a note of the three lost ones.
    try FileManager.default.removeItem(atPath: filler)
    #expect(try bed.sshAdd(["-T", key + ".pub"]).status == 0)
    let records = try Self.records(bed, atLeast: 2, state: mount.path + "/state")
    #expect(records.count == 2)
    #expect(records.first?["event"] as? String == "lost")
    #expect(records.first?["lost"] as? Int == 3)
    #expect(records.last?["outcome"] as? String == "signed")
  }
}
