import Foundation

/// A SoftHSM2 token in a temporary SOFTHSM2_CONF folder, the shared one made once per test process: an RSA-2048 key labelled
/// `rsa-key` and an ECDSA P-256 key labelled `ec-key`, generated on the token by pkcs11-tool (OpenSC), and what
/// `ssh-keygen -D` prints for the provider, as the reference the helper's keys must match.
public struct SoftHSMToken: Sendable {
  /// The SoftHSM2 provider library, as Debian installs it.
  public static let provider = "/usr/lib/softhsm/libsofthsm2.so"
  /// The user PIN of every token made here.
  public static let pin = "1234"

  /// The token every test shares (a key pair takes a second or two to generate).
  public static let shared: Result<SoftHSMToken, SoftHSMError> = Result { () throws(SoftHSMError) in
    try SoftHSMToken(withKeys: true)
  }

  /// A token of its own with no keys, for tests that change a token's state: a failed login makes SoftHSM rewrite
  /// the token file, and a load reading it at that moment from another process would find no objects.
  public static func unshared() throws(SoftHSMError) -> SoftHSMToken { try SoftHSMToken(withKeys: false) }

  /// The folder holding the token files and softhsm2.conf.
  public let folder: String
  /// This process's environment with SOFTHSM2_CONF naming the token's configuration.
  public let environment: [String: String]
  /// `ssh-keygen -D` output: one `type base64 comment` line per key.
  public let sshKeygenLines: [String]

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
  public static func run(_ arguments: [String], _ environment: [String: String]) throws(SoftHSMError) -> String {
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

extension SoftHSMToken {
  private static let loads = NSLock()

  /// Runs `body` (a load of the provider: C_Initialize, C_Login, the key search) while no other test of this
  /// process loads one. SoftHSM rewrites the token file at every successful C_Login, and a load in another process
  /// reading it at that moment finds no objects; tests load the shared token through this, one at a time.
  public static func serialized<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    loads.lock()
    defer { loads.unlock() }
    return try body()
  }
}

/// The token could not be made (a missing tool, a failed command).
public struct SoftHSMError: Error, CustomStringConvertible {
  /// What failed.
  public let what: String
  /// The one-line message.
  public var description: String { "softhsm token: \(what)" }
}
