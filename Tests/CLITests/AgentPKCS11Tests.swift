import Foundation
import TestSupport
import Testing

/// `keyhold agent` serving a SoftHSM2 token's keys through OpenSSH 9.2's ssh-add -s / -e (ssh-add(1)), with the PIN
/// given through SSH_ASKPASS.
@Suite struct AgentPKCS11Tests {
  static let provider = SoftHSMToken.provider

  /// An agent that sees `token`'s SOFTHSM2_CONF (the helper it spawns inherits it), and an askpass answering `pin`.
  static func testbed(
    _ token: SoftHSMToken, pin: String = SoftHSMToken.pin, flags: [String] = ["--no-vault"]
  ) throws -> (AgentTestbed, [String: String]) {
    let conf = ["SOFTHSM2_CONF": token.environment["SOFTHSM2_CONF"] ?? ""]
    let bed = try AgentTestbed(flags: flags, environment: conf)
    let askpass = try bed.script("askpass", "echo '\(pin)'")
    var env = conf
    env["SSH_ASKPASS"] = askpass
    env["SSH_ASKPASS_REQUIRE"] = "force"
    return (bed, env)
  }

  /// ssh-add loading a token provider, one load at a time in this process (``SoftHSMToken/serialized(_:)``).
  static func sshAddToken(_ bed: AgentTestbed, _ arguments: [String], environment: [String: String]) throws
    -> Spawn.Result
  {
    try SoftHSMToken.serialized { try bed.sshAdd(arguments, environment: environment) }
  }

  /// `ssh-add -L` lines (empty when the agent has no identities).
  static func publicLines(_ bed: AgentTestbed) throws -> [String] {
    let r = try bed.sshAdd(["-L"])
    guard r.status == 0 else { return [] }
    return r.stdout.split(separator: "\n").map(String.init)
  }

  @Test func tokenKeysAreListedAsSSHKeygenPrintsThemAndSign() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    let add = try Self.sshAddToken(bed, ["-s", Self.provider], environment: env)
    #expect(add.status == 0, "ssh-add -s: \(add.stderr) \(bed.log.suffix(400))")
    let listed = try Self.publicLines(bed)
    #expect(Set(listed) == Set(token.sshKeygenLines))
    #expect(listed.count == 2)
    let message = bed.directory.path + "/message"
    try "signed by a token key\n".write(toFile: message, atomically: true, encoding: .utf8)
    for (index, line) in token.sshKeygenLines.enumerated() {
      let pub = bed.directory.path + "/token\(index).pub"
      try (line + "\n").write(toFile: pub, atomically: true, encoding: .utf8)
      try? FileManager.default.removeItem(atPath: message + ".sig")
      let sign = try bed.run("/usr/bin/ssh-keygen", ["-Y", "sign", "-f", pub, "-n", "test", message])
      #expect(sign.status == 0, "ssh-keygen -Y sign \(line.prefix(20)): \(sign.stderr)")
      let allowed = bed.directory.path + "/allowed\(index)"
      try "signer \(line)\n".write(toFile: allowed, atomically: true, encoding: .utf8)
      let verify = try bed.run(
        "/usr/bin/ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", "signer", "-n", "test", "-s", message + ".sig"],
        stdin: "signed by a token key\n")
      #expect(verify.status == 0, "ssh-keygen -Y verify \(line.prefix(20)): \(verify.stderr)")
    }
  }

  @Test func removingTheProviderDropsItsKeysAndKeepsOthers() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    let own = try bed.makeKey("ed25519", name: "own")
    try bed.sshAdd([own])
    #expect(try Self.sshAddToken(bed, ["-s", Self.provider], environment: env).status == 0)
    #expect(try bed.listed().count == 3)
    let remove = try Self.sshAddToken(bed, ["-e", Self.provider], environment: env)
    #expect(remove.status == 0, "ssh-add -e: \(remove.stderr)")
    #expect(try bed.listed() == [try bed.fingerprint(own + ".pub")])
    // Removing it again names a provider that is no longer loaded.
    #expect(try Self.sshAddToken(bed, ["-e", Self.provider], environment: env).status != 0)
  }

  @Test func removeAllUnloadsTheProviderSoItCanBeAddedAgain() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    #expect(try Self.sshAddToken(bed, ["-s", Self.provider], environment: env).status == 0)
    #expect(try bed.sshAdd(["-D"]).status == 0)
    #expect(try bed.listed().isEmpty)
    let again = try Self.sshAddToken(bed, ["-s", Self.provider], environment: env)
    #expect(again.status == 0, "ssh-add -s after -D: \(again.stderr)")
    #expect(try bed.listed().count == 2)
  }

  @Test func addingALoadedProviderAgainIsRefused() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    #expect(try Self.sshAddToken(bed, ["-s", Self.provider], environment: env).status == 0)
    let again = try Self.sshAddToken(bed, ["-s", Self.provider], environment: env)
    #expect(again.status != 0)
    #expect(bed.log.contains("is already loaded"))
    #expect(try bed.listed().count == 2)
  }

  @Test func lifetimeAndConfirmConstraintsAreAccepted() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    let add = try Self.sshAddToken(bed, ["-t", "3600", "-c", "-s", Self.provider], environment: env)
    #expect(add.status == 0, "ssh-add -t -c -s: \(add.stderr)")
    #expect(try bed.listed().count == 2)
    #expect(bed.log.contains("life 3600 confirm true"))
  }

  @Test func providerOutsideTheAllowListIsRefused() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token, flags: ["--no-vault", "-P", "/opt/*"])
    let add = try Self.sshAddToken(bed, ["-s", Self.provider], environment: env)
    #expect(add.status != 0)
    #expect(try bed.listed().isEmpty)
    #expect(bed.log.contains("is not in the allowed providers"))
  }

  @Test func wrongPINIsRefusedAndTheAgentKeepsServing() throws {
    // A token of its own: a failed login rewrites the token file, which a load elsewhere could read half-written.
    let token = try SoftHSMToken.unshared()
    let (bed, env) = try Self.testbed(token, pin: "0000")
    let add = try Self.sshAddToken(bed, ["-s", Self.provider], environment: env)
    #expect(add.status != 0)
    #expect(bed.log.contains("pin is incorrect"))
    let own = try bed.makeKey("ed25519", name: "own")
    #expect(try bed.sshAdd([own]).status == 0)
    #expect(try bed.listed() == [try bed.fingerprint(own + ".pub")])
  }

  /// Writes the token's EC key line (ssh-keygen -D) to a .pub file in the testbed and returns its path.
  static func ecPublicKey(_ token: SoftHSMToken, _ bed: AgentTestbed) throws -> String {
    let line = try #require(token.sshKeygenLines.first(where: { $0.hasPrefix("ecdsa-") }))
    let pub = bed.directory.path + "/token-ec.pub"
    try (line + "\n").write(toFile: pub, atomically: true, encoding: .utf8)
    return pub
  }

  /// Signs a file through the agent with the key of `publicKey` (`ssh-keygen -Y sign`); true when it signed.
  static func signs(_ bed: AgentTestbed, _ publicKey: String) throws -> Bool {
    let message = bed.directory.path + "/message-\(UUID().uuidString)"
    try "signed by a token key\n".write(toFile: message, atomically: true, encoding: .utf8)
    let r = try bed.run("/usr/bin/ssh-keygen", ["-Y", "sign", "-f", publicKey, "-n", "test", message])
    return r.status == 0 && FileManager.default.fileExists(atPath: message + ".sig")
  }

  @Test func sshLogsIntoAThrowawaySSHDWithATokenKeyThroughTheAgent() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    let add = try Self.sshAddToken(bed, ["-s", Self.provider], environment: env)
    #expect(add.status == 0, "ssh-add -s: \(add.stderr) \(bed.log.suffix(400))")
    // authorized_keys holds the token's public keys as ssh-keygen -D prints them, and nothing else.
    let authorized = bed.directory.path + "/token-keys.pub"
    try token.sshKeygenLines.map { $0 + "\n" }.joined().write(toFile: authorized, atomically: true, encoding: .utf8)
    let sshd = try TestSSHD(authorizedKeys: [authorized])
    let login = try sshd.ssh(bed, "echo logged-in-with-a-token-key")
    #expect(login.status == 0, "ssh: \(login.stderr) \(bed.log.suffix(400))")
    #expect(login.stdout.contains("logged-in-with-a-token-key"))
    #expect(bed.log.contains("SSH2_AGENTC_SIGN_REQUEST"), "\(bed.log.suffix(400))")
  }

  @Test func aConfirmConstrainedTokenKeyIsRefusedWithoutAskpass() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)  // the agent itself has no SSH_ASKPASS
    let add = try Self.sshAddToken(bed, ["-c", "-s", Self.provider], environment: env)
    #expect(add.status == 0, "ssh-add -c -s: \(add.stderr)")
    #expect(try bed.listed().count == 2)
    #expect(try !Self.signs(bed, Self.ecPublicKey(token, bed)))
    #expect(bed.log.contains("refused"), "\(bed.log.suffix(400))")
  }

  @Test func aConfirmConstrainedTokenKeySignsWhenTheAskpassSaysYes() throws {
    let token = try SoftHSMToken.shared.get()
    let dir = try CLIHarness.makeTempDirectory("token-confirm")
    defer { try? FileManager.default.removeItem(at: dir) }
    let confirm = dir.path + "/confirm"
    try Spawn.writeScript(confirm, "#!/bin/sh\necho \"$SSH_ASKPASS_PROMPT\" >> \(dir.path)/prompts\nexit 0\n")
    let conf = ["SOFTHSM2_CONF": token.environment["SOFTHSM2_CONF"] ?? ""]
    let bed = try AgentTestbed(flags: ["--no-vault"], environment: conf.merging(["SSH_ASKPASS": confirm]) { a, _ in a })
    let pin = try bed.script("askpass", "echo '\(SoftHSMToken.pin)'")
    let add = try Self.sshAddToken(
      bed, ["-c", "-s", Self.provider],
      environment: conf.merging(["SSH_ASKPASS": pin, "SSH_ASKPASS_REQUIRE": "force"]) { a, _ in a })
    #expect(add.status == 0, "ssh-add -c -s: \(add.stderr)")
    #expect(try Self.signs(bed, Self.ecPublicKey(token, bed)), "\(bed.log.suffix(400))")
    let prompts = try String(contentsOfFile: dir.path + "/prompts", encoding: .utf8)
    #expect(prompts == "confirm\n")
  }
}
