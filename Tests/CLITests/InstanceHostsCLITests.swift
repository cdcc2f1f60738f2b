import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `keyhold sync` learning instances and host keys, `keyhold ssh-config` and `keyhold known-hosts`, against the
/// loopback EC2 stub, moto_server, a throwaway sshd and OpenSSH's own ssh, ssh-keygen and ssh -G.
@Suite(.serialized)
struct InstanceHostsCLITests {
  static func cloudEnv(_ url: String, _ s: VaultSandbox) -> [String: String] {
    [
      "AWS_ACCESS_KEY_ID": "AKIDINSTANCES", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL": url,
      "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "HOME": s.dir.path, "AWS_PAGER": "",
    ]
  }

  /// `ssh -G` settings as name → values (lower-case names, as ssh prints them).
  static func sshG(_ args: [String], scratch: String) throws -> [String: [String]] {
    let r = try Spawn.run("/usr/bin/ssh", ["-G"] + args, environment: Spawn.environment([:]), scratch: scratch)
    #expect(r.status == 0, "ssh -G: \(r.stderr)")
    var out: [String: [String]] = [:]
    for line in r.stdout.split(separator: "\n") {
      let f = line.split(separator: " ", maxSplits: 1).map(String.init)
      if f.count == 2 { out[f[0], default: []].append(f[1]) }
    }
    return out
  }

  /// Whether the stub's console has printed yet, shared with its handler thread.
  final class ConsoleSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var printed = false
    var isOn: Bool {
      get { lock.withLock { printed } }
      set { lock.withLock { printed = newValue } }
    }
  }

  /// A stub cloud with one key pair (`web` unless named) holding `md5` and one running instance launched with it, at 127.0.0.1,
  /// whose console prints `hostKey` once `console` is on.
  static func stubCloud(md5: String, hostKey: String, console: ConsoleSwitch, keyName: String = "web") throws
    -> EC2StubServer
  {
    try EC2StubServer { r in
      switch r.action {
      case "DescribeKeyPairs":
        let xml =
          "<DescribeKeyPairsResponse><keySet><item><keyPairId>key-1</keyPairId><keyName>\(keyName)</keyName>"
          + "<keyFingerprint>\(md5)</keyFingerprint></item></keySet></DescribeKeyPairsResponse>"
        return (200, Array(xml.utf8))
      case "DescribeInstances":
        let i = EC2StubInstance(
          id: "i-0123456789abcdef0", keyName: keyName, name: "web-1", publicIP: "127.0.0.1", privateIP: "10.1.2.3",
          publicDNS: "web.test.invalid")
        return (200, Array(EC2StubServer.describeInstancesXML([i]).utf8))
      case "GetConsoleOutput":
        let text = console.isOn ? EC2StubServer.cloudInitConsole(hostKeys: [hostKey]) : nil
        return (200, Array(EC2StubServer.consoleOutputXML(instanceID: "i-0123456789abcdef0", console: text).utf8))
      default:
        let xml = "<Response><Errors><Error><Code>InvalidAction</Code><Message>no</Message></Error></Errors></Response>"
        return (400, Array(xml.utf8))
      }
    }
  }

  @Test func syncLearnsTheConsoleHostKeyAndStrictHostKeyCheckingConnectsOnFirstContact() throws {
    let bed = try AgentTestbed()
    let userKey = try bed.makeKey("ed25519", name: "web")
    let sshd = try TestSSHD(authorizedKeys: [userKey + ".pub"])
    let s = try VaultSandbox()
    defer { s.cleanup() }
    var r = try s.run(["import", userKey, "--name", "web", "--region", "us-east-1"])
    #expect(r.status == 0, "\(r.stderr)")
    let md5Line = try bed.run("/usr/bin/ssh-keygen", ["-l", "-E", "md5", "-f", userKey + ".pub"]).stdout
    let md5 = String(md5Line.split(separator: " ")[1].dropFirst(4))
    let hostPub = try String(contentsOfFile: sshd.hostKey + ".pub", encoding: .utf8)
    let hostKey = hostPub.split(separator: " ").prefix(2).joined(separator: " ")
    let console = ConsoleSwitch()
    let cloud = try Self.stubCloud(md5: md5, hostKey: hostKey, console: console)
    defer { cloud.stop() }
    let env = Self.cloudEnv(cloud.url, s)

    // Moments after launch the console is empty: the instance is stored, no host key yet, not an error.
    r = try CloudCommandTests.keyhold(s, ["sync", "--region", "us-east-1"], env: env)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("instances: 1 seen, host keys learned for 0\n"))
    #expect(try CLIHarness.run(["known-hosts", "--vault", s.vault]).stdout == "")

    console.isOn = true
    r = try CloudCommandTests.keyhold(s, ["sync", "--region", "us-east-1"], env: env)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("instances: 1 seen, host keys learned for 1\n"))

    let plain = try CLIHarness.run(["known-hosts", "--vault", s.vault])
    #expect(plain.stdout == "web.test.invalid,127.0.0.1,10.1.2.3 \(hostKey)\n")
    let hashed = try CLIHarness.run(["known-hosts", "-H", "--vault", s.vault])
    #expect(hashed.status == 0 && hashed.stdout.hasPrefix("|1|"))
    #expect(!hashed.stdout.contains("web.test.invalid"))
    let known = s.dir.path + "/known_hosts"
    try hashed.stdout.write(toFile: known, atomically: true, encoding: .utf8)
    for name in ["web.test.invalid", "127.0.0.1", "10.1.2.3"] {
      let found = try bed.run("/usr/bin/ssh-keygen", ["-F", name, "-f", known])
      #expect(found.status == 0 && found.stdout.contains(hostKey), "ssh-keygen -F \(name): \(found.stdout)")
    }
    #expect(try bed.run("/usr/bin/ssh-keygen", ["-F", "other.test.invalid", "-f", known]).status != 0)

    // First contact with StrictHostKeyChecking yes: the console's host key is the server's.
    #expect(try bed.sshAdd([userKey]).status == 0)
    let strict = [
      "-F", "/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(known)", "-o",
      "HostKeyAlias=web.test.invalid", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", "\(sshd.port)",
      "root@127.0.0.1", "echo first-contact",
    ]
    let first = try bed.run("/usr/bin/ssh", strict)
    #expect(first.status == 0 && first.stdout == "first-contact\n", "\(first.stderr)")
    // And the same without the learned lines is refused: the check is real.
    let empty = s.dir.path + "/empty_known_hosts"
    try "".write(toFile: empty, atomically: true, encoding: .utf8)
    let refused = try bed.run(
      "/usr/bin/ssh", strict.map { $0 == "UserKnownHostsFile=\(known)" ? "UserKnownHostsFile=\(empty)" : $0 })
    #expect(refused.status == 255)

    // The ssh-config fragment names the vault key's public key file; ssh offers the agent that key only.
    let fragment = s.dir.path + "/keyhold.conf"
    r = try CLIHarness.run(["ssh-config", "--write", fragment, "--vault", s.vault])
    #expect(r.status == 0, "\(r.stderr)")
    var st = stat()
    #expect(stat(fragment, &st) == 0 && st.st_mode & 0o777 == 0o600)
    let pub = s.vault + ".public/web.pub"
    #expect(stat(pub, &st) == 0 && st.st_mode & 0o777 == 0o600)
    #expect(try String(contentsOfFile: pub, encoding: .utf8).hasPrefix("ssh-ed25519 "))
    let g = try Self.sshG(["-F", fragment, "web-1"], scratch: s.dir.path)
    #expect(g["hostname"] == ["127.0.0.1"])
    #expect(g["identityfile"] == [pub])
    #expect(g["identitiesonly"] == ["yes"])
    let through = try bed.run(
      "/usr/bin/ssh",
      [
        "-F", fragment, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(known)", "-o",
        "HostKeyAlias=web.test.invalid", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", "\(sshd.port)",
        "-l", "root", "i-0123456789abcdef0", "echo through-the-fragment",
      ])
    #expect(through.status == 0 && through.stdout == "through-the-fragment\n", "\(through.stderr)")

    // The files follow the vault: a rename moves the key's file.
    #expect(try s.run(["rename", "web", "web2"]).status == 0)
    #expect(access(s.vault + ".public/web2.pub", F_OK) == 0)
    #expect(access(pub, F_OK) != 0)
  }

  @Test(.enabled(if: MotoServer.isInstalled && ChildProcess.findExecutable("aws") != nil))
  func sshConfigForMotoInstancesResolvesWithSSHG() throws {
    let moto = try MotoServer()
    defer { moto.stop() }
    let s = try VaultSandbox()
    defer { s.cleanup() }
    let env = CloudCommandTests.env(moto, s)
    var r = try s.run(["create", "fleet", "--region", "us-east-1"] + CloudCommandTests.patience, environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    let images = try CloudCommandTests.aws(["ec2", "describe-images", "--owners", "amazon"], env: env)
    let imageDoc = try #require(try JSONSerialization.jsonObject(with: Data(images.utf8)) as? [String: Any])
    let ami = try #require((imageDoc["Images"] as? [[String: Any]])?.first?["ImageId"] as? String)
    let run = try CloudCommandTests.aws(
      [
        "ec2", "run-instances", "--image-id", ami, "--count", "2", "--key-name", "fleet", "--tag-specifications",
        "ResourceType=instance,Tags=[{Key=Name,Value=has space}]",
      ], env: env)
    let runDoc = try #require(try JSONSerialization.jsonObject(with: Data(run.utf8)) as? [String: Any])
    let launched = try #require(runDoc["Instances"] as? [[String: Any]])
    #expect(launched.count == 2)

    r = try CloudCommandTests.keyhold(s, ["sync", "--region", "us-east-1"], env: env)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("instances: 2 seen"))

    r = try CLIHarness.run(["ssh-config", "--vault", s.vault])
    #expect(r.status == 0, "\(r.stderr)")
    let fragment = s.dir.path + "/fragment.conf"
    try r.stdout.write(toFile: fragment, atomically: true, encoding: .utf8)
    // A Name tag with a space is not a safe pattern: left out, and said so.
    #expect(r.stdout.contains("# its Name tag is not safe as an ssh_config pattern and was left out"))
    #expect(!r.stdout.contains("has space"))
    for instance in launched {
      let id = try #require(instance["InstanceId"] as? String)
      let address = try #require(
        (instance["PublicIpAddress"] as? String) ?? (instance["PrivateIpAddress"] as? String))
      let g = try Self.sshG(["-F", fragment, id], scratch: s.dir.path)
      #expect(g["hostname"] == [address])
      #expect(g["identityfile"] == [s.vault + ".public/fleet.pub"])
      #expect(g["identitiesonly"] == ["yes"])
      if let dns = instance["PublicDnsName"] as? String, !dns.isEmpty {
        #expect(try Self.sshG(["-F", fragment, dns], scratch: s.dir.path)["hostname"] == [address])
      }
    }
    // The public key file holds the vault key's public half, as export --public writes it.
    let exported = try s.run(["export", "--public", "fleet"]).stdout
    let file = try String(contentsOfFile: s.vault + ".public/fleet.pub", encoding: .utf8)
    #expect(file.split(separator: " ").prefix(2) == exported.split(separator: " ").prefix(2))
  }
}
