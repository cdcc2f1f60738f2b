import Foundation
import TestSupport
import Testing

/// `keyhold agent` driven by OpenSSH 9.2's own clients: ssh-add, ssh, sshd, ssh-keygen, git.
@Suite struct AgentOpenSSHTests {
  static let keyTypes: [(String, Int?)] = [
    ("ed25519", nil), ("ecdsa", 256), ("ecdsa", 384), ("ecdsa", 521), ("rsa", 2048),
  ]

  @Test func everyKeyTypeIsAddedListedAndSigns() throws {
    let bed = try AgentTestbed()
    for (type, bits) in Self.keyTypes {
      let key = try bed.makeKey(type, bits: bits, name: "\(type)\(bits ?? 0)")
      #expect(try bed.sshAdd([key]).status == 0)
      #expect(try bed.listed().contains(try bed.fingerprint(key + ".pub")))
      let t = try bed.sshAdd(["-T", key + ".pub"])
      #expect(t.status == 0, "ssh-add -T \(type) \(bits ?? 0): \(t.stderr)")
      let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8)
      let blob = pub.split(separator: " ")[1]
      #expect(try bed.sshAdd(["-L"]).stdout.contains(blob))
    }
  }

  @Test func constrainedAddsAreAccepted() throws {
    let bed = try AgentTestbed(environment: ["SSH_ASKPASS": "/bin/true", "SSH_ASKPASS_REQUIRE": "force"])
    let a = try bed.makeKey("ed25519", name: "a")
    let b = try bed.makeKey("rsa", bits: 2048, name: "b")
    #expect(try bed.sshAdd(["-t", "60", a]).status == 0)
    #expect(try bed.sshAdd(["-c", b]).status == 0)
    #expect(try bed.listed().count == 2)
  }

  @Test func removeOneAndRemoveAll() throws {
    let bed = try AgentTestbed()
    let a = try bed.makeKey("ed25519", name: "a")
    let b = try bed.makeKey("ecdsa", bits: 256, name: "b")
    try bed.sshAdd([a])
    try bed.sshAdd([b])
    #expect(try bed.sshAdd(["-d", a]).status == 0)
    #expect(try bed.listed() == [try bed.fingerprint(b + ".pub")])
    #expect(try bed.sshAdd(["-D"]).status == 0)
    let l = try bed.sshAdd(["-l"])
    #expect(l.status == 1)
    #expect(l.stdout.contains("The agent has no identities."))
  }

  @Test func keyAddedWithLifetimeExpires() throws {
    let bed = try AgentTestbed()
    let a = try bed.makeKey("ed25519", name: "a")
    let b = try bed.makeKey("ed25519", name: "b")
    try bed.sshAdd(["-t", "1", a])
    try bed.sshAdd([b])
    let onlyB = [try bed.fingerprint(b + ".pub")]
    // Poll rather than sleep a fixed time: on a loaded machine the expiry may be noticed late, never early.
    var listed = try bed.listed()
    Poll.until(Poll.startup, every: .milliseconds(200)) {
      listed = (try? bed.listed()) ?? listed
      return listed == onlyB
    }
    #expect(listed == onlyB)
  }

  @Test func agentDefaultLifetimeExpiresKeysAddedWithoutOne() throws {
    let bed = try AgentTestbed(flags: ["-t", "6"])
    let a = try bed.makeKey("ed25519", name: "a")
    let added = ContinuousClock.now
    try bed.sshAdd([a])
    let first = try bed.listed()
    // Listed while the lifetime runs; a machine too loaded to list within it proves nothing either way.
    if Poll.elapsed(since: added) < .seconds(6) { #expect(first.count == 1) }
    var listed = first
    Poll.until(Poll.startup, every: .milliseconds(200)) {
      listed = (try? bed.listed()) ?? listed
      return listed.isEmpty
    }
    #expect(listed.isEmpty)
  }

  @Test func lockHidesKeysAndUnlockNeedsTheSamePassphrase() throws {
    let bed = try AgentTestbed()
    let a = try bed.makeKey("ed25519", name: "a")
    try bed.sshAdd([a])
    let good = try bed.script("good", "echo secret-lock")
    let bad = try bed.script("bad", "echo other")
    let ask: (String) -> [String: String] = { ["SSH_ASKPASS": $0, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"] }
    #expect(try bed.sshAdd(["-x"], environment: ask(good)).status == 0)
    #expect(try bed.listed().isEmpty)
    #expect(try bed.sshAdd(["-T", a + ".pub"]).status != 0)
    #expect(try bed.sshAdd(["-X"], environment: ask(bad)).status != 0)
    #expect(try bed.sshAdd(["-X"], environment: ask(good)).status == 0)
    #expect(try bed.listed() == [try bed.fingerprint(a + ".pub")])
  }

  @Test func confirmConstraintAsksAskpassAndHonoursTheAnswer() throws {
    let dir = try CLIHarness.makeTempDirectory("confirm")
    defer { try? FileManager.default.removeItem(at: dir) }
    let answer = dir.path + "/answer"
    let askpass = dir.path + "/askpass"
    try Spawn.writeScript(
      askpass, "#!/bin/sh\necho \"$SSH_ASKPASS_PROMPT\" >> \(dir.path)/prompts\nexit $(cat \(answer))\n")
    let bed = try AgentTestbed(environment: ["SSH_ASKPASS": askpass])
    let a = try bed.makeKey("ed25519", name: "a")
    #expect(
      try bed.sshAdd(["-c", a], environment: ["SSH_ASKPASS": "/bin/true", "SSH_ASKPASS_REQUIRE": "force"]).status == 0)
    try "0".write(toFile: answer, atomically: true, encoding: .utf8)
    #expect(try bed.sshAdd(["-T", a + ".pub"]).status == 0)
    try "1".write(toFile: answer, atomically: true, encoding: .utf8)
    #expect(try bed.sshAdd(["-T", a + ".pub"]).status != 0)
    let prompts = try String(contentsOfFile: dir.path + "/prompts", encoding: .utf8)
    #expect(prompts == "confirm\nconfirm\n")
  }

  @Test func waitingConfirmPromptDoesNotBlockOtherClients() throws {
    let dir = try CLIHarness.makeTempDirectory("confirm-wait")
    defer { try? FileManager.default.removeItem(at: dir) }
    let askpass = dir.path + "/askpass"
    // The prompt announces itself, then waits until the test releases it.
    try Spawn.writeScript(
      askpass, "#!/bin/sh\ntouch \(dir.path)/asking\nwhile [ ! -e \(dir.path)/release ]; do sleep 0.05; done\nexit 0\n")
    let bed = try AgentTestbed(environment: ["SSH_ASKPASS": askpass])
    let a = try bed.makeKey("ed25519", name: "a")
    let b = try bed.makeKey("ed25519", name: "b")
    try bed.sshAdd(["-c", a], environment: ["SSH_ASKPASS": "/bin/true", "SSH_ASKPASS_REQUIRE": "force"])
    try bed.sshAdd([b])
    let signer = try Spawn.start(
      "/usr/bin/ssh-add", ["-T", a + ".pub"], environment: Spawn.environment(["SSH_AUTH_SOCK": bed.socket]),
      scratch: dir.path, tag: "signer")
    #expect(Poll.until(Poll.answer) { FileManager.default.fileExists(atPath: dir.path + "/asking") })
    // While the prompt waits, another client lists and signs.
    #expect(try bed.listed().count == 2)
    #expect(try bed.sshAdd(["-T", b + ".pub"]).status == 0)
    #expect(waitpid(signer, nil, WNOHANG) == 0)  // still waiting for its confirmation
    _ = FileManager.default.createFile(atPath: dir.path + "/release", contents: nil)
    #expect(Spawn.wait(signer, scratch: dir.path, tag: "signer").status == 0)
  }

  @Test func sshLogsInWithTheKeyOnlyInTheAgent() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("ed25519", name: "user")
    let sshd = try TestSSHD(authorizedKeys: [key + ".pub"])
    try bed.sshAdd([key])
    try FileManager.default.removeItem(atPath: key)
    let r = try sshd.ssh(bed, "echo logged-in")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "logged-in\n")
  }

  @Test func sshLogsInWithAnRSAKeyAndACertificate() throws {
    let bed = try AgentTestbed()
    let ca = try bed.makeKey("ed25519", name: "ca")
    let key = try bed.makeKey("rsa", bits: 2048, name: "user")
    let sign = try bed.run("/usr/bin/ssh-keygen", ["-q", "-s", ca, "-I", "test-user", "-n", "root", key + ".pub"])
    #expect(sign.status == 0, "\(sign.stderr)")
    let sshd = try TestSSHD(authorizedKeys: [], trustedUserCA: ca + ".pub")
    #expect(try bed.sshAdd([key]).status == 0)  // loads user and user-cert.pub
    let listed = try bed.sshAdd(["-L"]).stdout
    #expect(listed.contains("ssh-rsa-cert-v01@openssh.com"))
    #expect(listed.contains("ssh-rsa "))
    try FileManager.default.removeItem(atPath: key)
    let r = try sshd.ssh(bed, "echo with-cert")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "with-cert\n")
  }

  @Test func destinationRestrictedKeyWorksOnlyForTheAllowedHost() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("ed25519", name: "user")
    let sshd = try TestSSHD(authorizedKeys: [key + ".pub"])
    let other = try bed.makeKey("ed25519", name: "otherhost")
    let knownHosts = bed.directory.path + "/known_hosts"
    let hostLine = try String(contentsOfFile: sshd.hostKey + ".pub", encoding: .utf8)
    let otherLine = try String(contentsOfFile: other + ".pub", encoding: .utf8)
    try "127.0.0.1 \(hostLine)otherhost \(otherLine)".write(toFile: knownHosts, atomically: true, encoding: .utf8)

    #expect(try bed.sshAdd(["-H", knownHosts, "-h", "127.0.0.1", key]).status == 0)
    let allowed = try sshd.ssh(bed, "echo allowed")
    #expect(allowed.status == 0, "\(allowed.stderr)")
    #expect(allowed.stdout == "allowed\n")

    try bed.sshAdd(["-D"])
    #expect(try bed.sshAdd(["-H", knownHosts, "-h", "otherhost", key]).status == 0)
    let refused = try sshd.ssh(bed, "echo refused")
    #expect(refused.status != 0)
    #expect(refused.stdout.isEmpty)
    // Like OpenSSH's agent: listed locally, but never used to sign on a connection bound to no session.
    #expect(try bed.listed().count == 1)
    #expect(try bed.sshAdd(["-T", key + ".pub"]).status != 0)
  }

  @Test func sshKeygenSignaturesMadeThroughTheAgentVerify() throws {
    let bed = try AgentTestbed()
    for (type, bits) in Self.keyTypes {
      let key = try bed.makeKey(type, bits: bits, name: "sig\(type)\(bits ?? 0)")
      try bed.sshAdd([key])
      try FileManager.default.removeItem(atPath: key)
      let data = bed.directory.path + "/data-\(type)\(bits ?? 0)"
      try "signed through the agent\n".write(toFile: data, atomically: true, encoding: .utf8)
      let sign = try bed.run("/usr/bin/ssh-keygen", ["-Y", "sign", "-f", key + ".pub", "-n", "file", data])
      #expect(sign.status == 0, "\(sign.stderr)")
      let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8)
      let signers = bed.directory.path + "/allowed-\(type)\(bits ?? 0)"
      try "me@example.org \(pub)".write(toFile: signers, atomically: true, encoding: .utf8)
      let verify = try bed.run(
        "/bin/sh",
        ["-c", "ssh-keygen -Y verify -f \(signers) -I me@example.org -n file -s \(data).sig < \(data)"])
      #expect(verify.status == 0, "\(type): \(verify.stdout) \(verify.stderr)")
    }
  }

  @Test func gitCommitIsSignedThroughTheAgent() throws {
    let bed = try AgentTestbed()
    let key = try bed.makeKey("ed25519", name: "git")
    try bed.sshAdd([key])
    try FileManager.default.removeItem(atPath: key)
    let repo = bed.directory.path + "/repo"
    let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8)
    try "me@example.org \(pub)".write(toFile: bed.directory.path + "/signers", atomically: true, encoding: .utf8)
    let script = """
      set -e
      git init -q \(repo) && cd \(repo)
      git config user.name Test && git config user.email me@example.org
      git config gpg.format ssh && git config user.signingkey \(key).pub
      git config gpg.ssh.allowedSignersFile \(bed.directory.path)/signers
      echo hi > f && git add f && git commit -q -S -m signed
      git verify-commit HEAD
      """
    let r = try bed.run("/bin/sh", ["-c", script], environment: ["HOME": bed.directory.path])
    #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
    #expect(r.stderr.contains("Good \"git\" signature"))
  }

  @Test func connectionFromAnotherUserIsRefused() throws {
    let bed = try AgentTestbed()
    // Open the folder and socket to everyone, so that only the agent's peer check stands in the way.
    chmod(bed.directory.path, 0o755)
    chmod(bed.socket, 0o777)
    let a = try bed.makeKey("ed25519", name: "a")
    try bed.sshAdd([a])
    let other = try bed.run(
      "/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/ssh-add", "-l"])
    #expect(other.status != 0, "\(other.stdout) \(other.stderr)")
    #expect(!other.stdout.contains("ED25519"))
    #expect(bed.log.contains("uid mismatch: peer euid 65534"))
    #expect(try bed.listed().count == 1)
  }
}

/// Socket activation: systemd (here its `systemd-socket-activate` helper) owns the socket and starts the agent
/// with it as descriptor 3 on the first connection.
@Test func socketActivatedAgentServesTheSocketItWasHanded() throws {
  let dir = try CLIHarness.makeTempDirectory("activate")
  defer { try? FileManager.default.removeItem(at: dir) }
  let socket = dir.path + "/agent.socket"
  let pid = try Spawn.start(
    "/usr/bin/systemd-socket-activate", ["-l", socket, CLIHarness.binary.path, "agent", "-D", "--no-vault"],
    environment: Spawn.environment([:]), scratch: dir.path, tag: "activate")
  defer {
    kill(pid, SIGTERM)
    _ = Spawn.wait(pid, scratch: dir.path, tag: "activate")
  }
  // Probing connects once: systemd-socket-activate then starts the agent, which serves the probe and ssh-add alike.
  #expect(Poll.until(Poll.startup) { UnixSocketProbe.accepts(socket) })
  let r = try Spawn.run(
    "/usr/bin/ssh-add", ["-l"], environment: Spawn.environment(["SSH_AUTH_SOCK": socket]), scratch: dir.path)
  #expect(r.status == 1)
  #expect(r.stdout == "The agent has no identities.\n")
}
