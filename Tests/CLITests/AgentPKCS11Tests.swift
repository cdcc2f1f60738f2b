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

  /// `ssh-add -L` lines (empty when the agent has no identities).
  static func publicLines(_ bed: AgentTestbed) throws -> [String] {
    let r = try bed.sshAdd(["-L"])
    guard r.status == 0 else { return [] }
    return r.stdout.split(separator: "\n").map(String.init)
  }

  @Test func tokenKeysAreListedAsSSHKeygenPrintsThemAndSign() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    let add = try bed.sshAdd(["-s", Self.provider], environment: env)
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
    #expect(try bed.sshAdd(["-s", Self.provider], environment: env).status == 0)
    #expect(try bed.listed().count == 3)
    let remove = try bed.sshAdd(["-e", Self.provider], environment: env)
    #expect(remove.status == 0, "ssh-add -e: \(remove.stderr)")
    #expect(try bed.listed() == [try bed.fingerprint(own + ".pub")])
    // Removing it again names a provider that is no longer loaded.
    #expect(try bed.sshAdd(["-e", Self.provider], environment: env).status != 0)
  }

  @Test func removeAllUnloadsTheProviderSoItCanBeAddedAgain() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    #expect(try bed.sshAdd(["-s", Self.provider], environment: env).status == 0)
    #expect(try bed.sshAdd(["-D"]).status == 0)
    #expect(try bed.listed().isEmpty)
    let again = try bed.sshAdd(["-s", Self.provider], environment: env)
    #expect(again.status == 0, "ssh-add -s after -D: \(again.stderr)")
    #expect(try bed.listed().count == 2)
  }

  @Test func addingALoadedProviderAgainIsRefused() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    #expect(try bed.sshAdd(["-s", Self.provider], environment: env).status == 0)
    let again = try bed.sshAdd(["-s", Self.provider], environment: env)
    #expect(again.status != 0)
    #expect(bed.log.contains("is already loaded"))
    #expect(try bed.listed().count == 2)
  }

  @Test func lifetimeAndConfirmConstraintsAreAccepted() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token)
    let add = try bed.sshAdd(["-t", "3600", "-c", "-s", Self.provider], environment: env)
    #expect(add.status == 0, "ssh-add -t -c -s: \(add.stderr)")
    #expect(try bed.listed().count == 2)
    #expect(bed.log.contains("life 3600 confirm true"))
  }

  @Test func providerOutsideTheAllowListIsRefused() throws {
    let token = try SoftHSMToken.shared.get()
    let (bed, env) = try Self.testbed(token, flags: ["--no-vault", "-P", "/opt/*"])
    let add = try bed.sshAdd(["-s", Self.provider], environment: env)
    #expect(add.status != 0)
    #expect(try bed.listed().isEmpty)
    #expect(bed.log.contains("is not in the allowed providers"))
  }

  @Test func wrongPINIsRefusedAndTheAgentKeepsServing() throws {
    // A token of its own: a failed login rewrites the token file, which a load elsewhere could read half-written.
    let token = try SoftHSMToken.unshared()
    let (bed, env) = try Self.testbed(token, pin: "0000")
    let add = try bed.sshAdd(["-s", Self.provider], environment: env)
    #expect(add.status != 0)
    #expect(bed.log.contains("pin is incorrect"))
    let own = try bed.makeKey("ed25519", name: "own")
    #expect(try bed.sshAdd([own]).status == 0)
    #expect(try bed.listed() == [try bed.fingerprint(own + ".pub")])
  }
}
