import Foundation
import TestSupport
import Testing

/// More keys than sshd's MaxAuthTries, and no login yet: after `keyhold sync` learned the instance and the host key
/// its console printed, plain `ssh` through keyhold's agent works on the first connection.
@Suite struct FirstContactTests {
  @Test func plainSSHWorksOnFirstContactOnceSyncReadTheInstancesConsole() throws {
    let v = try HostLoginTests.ManyKeys()
    let sshd = try v.sshd(accepting: v.keys[11])
    let bed = try v.agent()
    let before = try sshd.ssh(bed, "echo in")
    #expect(HostLoginTests.tooManyFailures(before), "plain ssh before the sync: \(before.status) \(before.stderr)")

    // The instance was launched with a key pair holding k12's public key under a name of the cloud's choosing; the
    // sync binds it by fingerprint and maps the instance, and its console's host key, to k12.
    let md5Line = try bed.run("/usr/bin/ssh-keygen", ["-l", "-E", "md5", "-f", v.keys[11] + ".pub"]).stdout
    let md5 = String(md5Line.split(separator: " ")[1].dropFirst(4))
    let hostPub = try String(contentsOfFile: sshd.hostKey + ".pub", encoding: .utf8)
    let hostKey = hostPub.split(separator: " ").prefix(2).joined(separator: " ")
    let console = InstanceHostsCLITests.ConsoleSwitch()
    console.isOn = true
    let cloud = try InstanceHostsCLITests.stubCloud(md5: md5, hostKey: hostKey, console: console, keyName: "launch")
    defer { cloud.stop() }
    let synced = try CloudCommandTests.keyhold(
      v.sandbox, ["sync", "--region", "us-east-1"], env: InstanceHostsCLITests.cloudEnv(cloud.url, v.sandbox))
    #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
    #expect(synced.stdout.contains("bound k12: us-east-1/launch (found by fingerprint)"))
    #expect(synced.stdout.contains("instances: 1 seen, host keys learned for 1\n"))

    // The running agent follows the host books; poll rather than assume when it looks.
    var first = before
    Poll.until(Poll.answer, every: .milliseconds(200)) {
      first = (try? sshd.ssh(bed, "echo in")) ?? first
      return first.status == 0
    }
    #expect(first.status == 0 && first.stdout == "in\n", "plain ssh after the sync: \(first.stderr)")
  }
}
