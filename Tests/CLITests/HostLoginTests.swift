import Foundation
import TestSupport
import Testing

/// More keys than sshd's MaxAuthTries: plain `ssh` through keyhold works once the agent knows which key opens the
/// server (learned from one login that named the key), and through OpenSSH's ssh-agent it does not.
@Suite struct HostLoginTests {
  /// A vault of 12 keys (k01 ... k12, listed in that order), unlocked in a keyhold agent on demand.
  final class ManyKeys: @unchecked Sendable {
    let sandbox: VaultSandbox
    /// The private key files, k01 first.
    let keys: [String]

    init() throws {
      let sandbox = try VaultSandbox()
      let keys = try (1...12).map { try sandbox.keygen(String(format: "k%02d", $0), type: "ed25519") }
      (self.sandbox, self.keys) = (sandbox, keys)
      let imported = try sandbox.run(["import"] + keys)
      precondition(imported.status == 0, "import: \(imported.stderr)")
    }

    deinit { sandbox.cleanup() }

    /// A keyhold agent serving the vault, unlocked.
    func agent(_ flags: [String] = []) throws -> AgentTestbed {
      let bed = try AgentTestbed(flags: ["--vault", sandbox.vault] + flags)
      let unlocked = try bed.run(
        CLIHarness.binary.path, ["unlock", "--passphrase-fd", "0"], environment: ["KEYHOLD_VAULT": sandbox.vault],
        stdin: VaultSandbox.passphrase + "\n")
      #expect(unlocked.status == 0, "unlock: \(unlocked.stderr)")
      return bed
    }

    /// The public key line of vault key `name`, from `keyhold export --public`, in a file.
    func exportedPublicKey(_ name: String) throws -> String {
      let r = try sandbox.run(["export", "--public", name])
      #expect(r.status == 0, "export --public \(name): \(r.stderr)")
      let path = sandbox.dir.appendingPathComponent("\(name).exported.pub").path
      try r.stdout.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }

    /// A throwaway sshd that accepts only `key`, and gives up after three failed keys.
    func sshd(accepting key: String) throws -> TestSSHD {
      try TestSSHD(authorizedKeys: [key + ".pub"], extraConfig: "MaxAuthTries 3\n")
    }

    /// `keyhold hosts --json`, one object per line.
    func hosts() throws -> [[String: Any]] {
      let r = try sandbox.run(["hosts", "--json"])
      #expect(r.status == 0, "hosts --json: \(r.stderr)")
      return try r.stdout.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
      }
    }
  }

  /// ssh options that name one key and only that key (the public half is enough: the agent has the private one).
  static func naming(_ publicKey: String) -> [String] {
    ["-o", "IdentityFile=\(publicKey)", "-o", "IdentitiesOnly=yes"]
  }

  /// Whether a login failed because sshd gave up after MaxAuthTries keys.
  static func tooManyFailures(_ r: Spawn.Result) -> Bool {
    r.status != 0 && r.stderr.contains("Too many authentication failures")
  }

  @Test func plainSSHWorksAfterOneLoginThatNamedTheKeyAndAfterTheAgentRestartsUntilTheHostIsForgotten() throws {
    let v = try ManyKeys()
    let sshd = try v.sshd(accepting: v.keys[11])
    var bed: AgentTestbed? = try v.agent()
    let first = try sshd.ssh(bed!, "echo in")
    #expect(Self.tooManyFailures(first), "plain ssh before any login: \(first.status) \(first.stderr)")

    let named = try sshd.ssh(bed!, "echo in", options: Self.naming(try v.exportedPublicKey("k12")))
    #expect(named.status == 0 && named.stdout == "in\n", "named login: \(named.stderr)")
    let hostKey = try bed!.fingerprint(sshd.hostKey + ".pub")
    // The record is written in the background; `keyhold hosts` reads the file.
    var hosts: [[String: Any]] = []
    Poll.until(Poll.answer) {
      hosts = (try? v.hosts()) ?? []
      return !hosts.isEmpty
    }
    #expect(hosts.count == 1)
    let host = try #require(hosts.first)
    #expect(host["host_key"] as? String == hostKey)
    #expect(host["source"] as? String == "learned")
    #expect(host["users"] as? [String] == ["root"])
    let key = try #require((host["keys"] as? [[String: Any]])?.first)
    #expect(key["name"] as? String == "k12")
    #expect(key["fingerprint"] as? String == (try bed!.fingerprint(v.keys[11] + ".pub")))
    #expect((host["last_use"] as? String)?.hasSuffix("Z") == true)
    let table = try v.sandbox.run(["hosts"])
    #expect(table.stdout.contains(hostKey) && table.stdout.contains("k12") && table.stdout.contains("learned"))

    let plain = try sshd.ssh(bed!, "echo in")
    #expect(plain.status == 0 && plain.stdout == "in\n", "plain ssh after the named login: \(plain.stderr)")

    bed = nil
    bed = try v.agent()
    let restarted = try sshd.ssh(bed!, "echo in")
    #expect(restarted.status == 0, "plain ssh after the agent restarted: \(restarted.stderr)")

    let forgot = try v.sandbox.run(["hosts", "forget", hostKey])
    #expect(forgot.status == 0 && forgot.stdout.contains("forgot 1 learned record"), "\(forgot.stderr)")
    #expect(try v.hosts().isEmpty)
    // The agent looks at the books before every bound listing: the very next login already sees the forget.
    let again = try sshd.ssh(bed!, "echo in")
    #expect(Self.tooManyFailures(again), "plain ssh after forget: \(again.status) \(again.stderr)")
    let nothing = try v.sandbox.run(["hosts", "forget", hostKey])
    #expect(nothing.status == 1 && nothing.stderr.hasPrefix("keyhold: error: no known host matches"))
  }

  @Test func withNoLearnANamedLoginTeachesTheAgentNothing() throws {
    let v = try ManyKeys()
    let sshd = try v.sshd(accepting: v.keys[11])
    let bed = try v.agent(["--no-learn"])
    let named = try sshd.ssh(bed, "true", options: Self.naming(try v.exportedPublicKey("k12")))
    #expect(named.status == 0, "named login: \(named.stderr)")
    let plain = try sshd.ssh(bed, "true")
    #expect(Self.tooManyFailures(plain), "plain ssh with --no-learn: \(plain.status) \(plain.stderr)")
    #expect(try v.hosts().isEmpty)
    #expect(access(v.sandbox.vault + ".hosts", F_OK) != 0)
  }

  @Test func theSameKeysInOpenSSHsAgentFailPlainSSHEvenAfterANamedLogin() throws {
    let v = try ManyKeys()
    let sshd = try v.sshd(accepting: v.keys[11])
    let agent = try OpenSSHAgent()
    for key in v.keys {
      let added = try agent.run("/usr/bin/ssh-add", ["-q", key])
      #expect(added.status == 0, "ssh-add \(key): \(added.stderr)")
    }
    let plain = try agent.ssh(sshd, "true")
    #expect(Self.tooManyFailures(plain), "plain ssh through ssh-agent: \(plain.status) \(plain.stderr)")
    let named = try agent.ssh(sshd, "true", options: Self.naming(v.keys[11] + ".pub"))
    #expect(named.status == 0, "named login through ssh-agent: \(named.stderr)")
    #expect(Self.tooManyFailures(try agent.ssh(sshd, "true")))
  }

  @Test func aForwardedLoginPicksTheKeyOfTheLastHop() throws {
    let v = try ManyKeys()
    let first = try v.sshd(accepting: v.keys[5])
    let second = try v.sshd(accepting: v.keys[11])
    let bed = try v.agent()
    // The inner ssh runs in a session of the first sshd, with the forwarded SSH_AUTH_SOCK sshd set for it.
    let inner = { (options: String) in
      "ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes "
        + "-o LogLevel=ERROR \(options) -p \(second.port) root@127.0.0.1 echo hop2"
    }
    #expect(Self.tooManyFailures(try first.ssh(bed, "true")))
    let learnFirst = try first.ssh(bed, "true", options: Self.naming(try v.exportedPublicKey("k06")))
    #expect(learnFirst.status == 0, "named login to the first hop: \(learnFirst.stderr)")
    let plainFirst = try first.ssh(bed, "echo \"$SSH_AUTH_SOCK\"", options: ["-A"])
    #expect(
      plainFirst.status == 0 && !plainFirst.stdout.isEmpty, "plain -A login to the first hop: \(plainFirst.stderr)")

    // Through the first hop, the second fails with the plain list ...
    let before = try first.ssh(bed, inner(""), options: ["-A"])
    #expect(before.status != 0 && before.stderr.contains("Too many authentication failures"), "\(before.stderr)")
    // ... until one login through the forwarded agent names its key.
    let k12 = try v.exportedPublicKey("k12")
    let named = try first.ssh(bed, inner("-o IdentityFile=\(k12) -o IdentitiesOnly=yes"), options: ["-A"])
    #expect(named.status == 0 && named.stdout == "hop2\n", "named login to the second hop: \(named.stderr)")
    let secondKey = try bed.fingerprint(second.hostKey + ".pub")
    Poll.until(Poll.answer) { ((try? v.hosts()) ?? []).contains { $0["host_key"] as? String == secondKey } }
    let plain = try first.ssh(bed, inner(""), options: ["-A"])
    #expect(plain.status == 0 && plain.stdout == "hop2\n", "plain logins through both hops: \(plain.stderr)")
    // Each host learned its own key: the second hop's host key maps to k12, the first's to k06.
    let byHost = Dictionary(
      try v.hosts().map {
        ($0["host_key"] as? String ?? "", ($0["keys"] as? [[String: Any]])?.first?["name"] as? String)
      },
      uniquingKeysWith: { a, _ in a })
    #expect(byHost[secondKey] == "k12")
    #expect(byHost[try bed.fingerprint(first.hostKey + ".pub")] == "k06")
  }
}

/// OpenSSH's own ssh-agent on a private socket: the baseline.
final class OpenSSHAgent: @unchecked Sendable {
  let directory: URL
  let socket: String
  let pid: pid_t

  init() throws {
    directory = try CLIHarness.makeTempDirectory("ssh-agent")
    socket = directory.path + "/agent.sock"
    pid = try Spawn.start(
      "/usr/bin/ssh-agent", ["-D", "-a", socket], environment: Spawn.environment([:]), scratch: directory.path,
      tag: "ssh-agent")
    let socket = socket
    guard Poll.until(Poll.startup, { UnixSocketProbe.accepts(socket) }) else {
      throw TestbedError("ssh-agent did not listen on \(socket)")
    }
  }

  deinit {
    kill(pid, SIGTERM)
    _ = Spawn.wait(pid, scratch: directory.path, tag: "ssh-agent")
    try? FileManager.default.removeItem(at: directory)
  }

  func run(_ program: String, _ arguments: [String]) throws -> Spawn.Result {
    try Spawn.run(
      program, arguments, environment: Spawn.environment(["SSH_AUTH_SOCK": socket]), scratch: directory.path)
  }

  /// The same ssh command line as ``TestSSHD/ssh(_:_:options:)``, through this agent.
  func ssh(_ sshd: TestSSHD, _ command: String, options: [String] = []) throws -> Spawn.Result {
    try run(
      "/usr/bin/ssh",
      [
        "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
        "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", "\(sshd.port)",
      ] + options + ["root@127.0.0.1", command])
  }
}
