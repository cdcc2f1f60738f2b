import Foundation

/// A SoftHSM2 token in a temporary SOFTHSM2_CONF folder, the shared one made once per test process: an RSA-2048 key labelled
/// `rsa-key` and an ECDSA P-256 key labelled `ec-key`, generated on the token by pkcs11-tool (OpenSC), and what
/// `ssh-keygen -D` prints for the provider, as the reference the helper's keys must match.
struct SoftHSMToken: Sendable {
  static let provider = "/usr/lib/softhsm/libsofthsm2.so"
  static let pin = "1234"

  /// The token every test shares (a key pair takes a second or two to generate).
  static let shared: Result<SoftHSMToken, SoftHSMError> = Result { () throws(SoftHSMError) in
    try SoftHSMToken(withKeys: true)
  }

  /// A token of its own with no keys, for tests that change a token's state: a failed login makes SoftHSM rewrite
  /// the token file, and a load reading it at that moment from another process would find no objects.
  static func unshared() throws(SoftHSMError) -> SoftHSMToken { try SoftHSMToken(withKeys: false) }

  let folder: String
  let environment: [String: String]
  /// `ssh-keygen -D` output: one `type base64 comment` line per key.
  let sshKeygenLines: [String]

  private init(withKeys: Bool) throws(SoftHSMError) {
    let folder = NSTemporaryDirectory() + "keyhold-softhsm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try FileManager.default.createDirectory(atPath: folder + "/tokens", withIntermediateDirectories: true)
      try "directories.tokendir = \(folder)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n"
        .write(toFile: folder + "/softhsm2.conf", atomically: true, encoding: .utf8)
    } catch {
      throw SoftHSMError(what: "cannot make \(folder): \(error)")
    }
    self.folder = folder
    var environment = ProcessInfo.processInfo.environment
    environment["SOFTHSM2_CONF"] = folder + "/softhsm2.conf"
    self.environment = environment
    let env = environment
    try Self.run(
      ["softhsm2-util", "--init-token", "--free", "--label", "keyhold", "--pin", Self.pin, "--so-pin", "12345678"],
      env)
    guard withKeys else {
      sshKeygenLines = []
      return
    }
    let tool = ["pkcs11-tool", "--module", Self.provider, "--login", "--pin", Self.pin, "--keypairgen"]
    try Self.run(tool + ["--key-type", "rsa:2048", "--id", "01", "--label", "rsa-key"], env)
    try Self.run(tool + ["--key-type", "EC:prime256v1", "--id", "02", "--label", "ec-key"], env)
    sshKeygenLines = try Self.run(["ssh-keygen", "-D", Self.provider], env)
      .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
  }

  /// Runs a tool from PATH and returns its standard output; a non-zero exit is an error.
  @discardableResult
  static func run(_ arguments: [String], _ environment: [String: String]) throws(SoftHSMError) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.environment = environment
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw SoftHSMError(what: "cannot run \(arguments[0]): \(error)")
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw SoftHSMError(what: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self)
  }
}

/// The token could not be made (a missing tool, a failed command).
struct SoftHSMError: Error, CustomStringConvertible {
  let what: String
  var description: String { "softhsm token: \(what)" }
}
