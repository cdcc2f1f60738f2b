import AgentServer
import Foundation
import SSHKeys
import SSHWire
import TestSupport
import Testing

/// PKCS11Provider and keyhold-pkcs11-helper against a real SoftHSM2 token.
@Suite struct PKCS11ProviderTests {
  static func token() throws -> SoftHSMToken { try SoftHSMToken.shared.get() }

  static func load(pin: String = SoftHSMToken.pin) throws -> PKCS11Provider {
    let token = try token()
    return try Self.serialLoad(
      path: SoftHSMToken.provider, pin: Array(pin.utf8), environment: token.environment)
  }

  /// PKCS11Provider.load, one load of a token at a time (``SoftHSMToken/serialized(_:)``).
  static func serialLoad(
    path: String, pin: [UInt8], helper: String? = nil, allowList: PKCS11AllowList = .default,
    environment: [String: String]? = nil
  ) throws(PKCS11Error) -> PKCS11Provider {
    try SoftHSMToken.serialized { () throws(PKCS11Error) in
      try PKCS11Provider.load(path: path, pin: pin, helper: helper, allowList: allowList, environment: environment)
    }
  }

  static func key(_ provider: PKCS11Provider, _ type: String) throws -> PKCS11Key {
    try #require(provider.keys.first(where: { $0.publicKey.typeName == type }))
  }

  @Test func keysMatchWhatSSHKeygenPrintsForTheProvider() throws {
    let token = try Self.token()
    let provider = try Self.load()
    defer { provider.unload() }
    let expected = try token.sshKeygenLines.map { line -> [UInt8] in
      let fields = line.split(separator: " ")
      return try #require(fields.count >= 2 ? Data(base64Encoded: String(fields[1])).map { [UInt8]($0) } : nil)
    }
    #expect(expected.count == 2)
    #expect(Set(provider.keys.map(\.blob)) == Set(expected))
    #expect(Set(provider.keys.map(\.comment)) == ["rsa-key", "ec-key"])
    #expect(try Self.key(provider, "ssh-rsa").publicKey.bits == 2048)
  }

  @Test(arguments: [(UInt32(0), "ssh-rsa"), (2, "rsa-sha2-256"), (4, "rsa-sha2-512"), (6, "rsa-sha2-512")])
  func rsaSignatureUsesTheSchemeTheFlagsAskForAndVerifies(flags: UInt32, algorithm: String) throws {
    let provider = try Self.load()
    defer { provider.unload() }
    let key = try Self.key(provider, "ssh-rsa")
    let data = Array("session data \(flags)".utf8)
    let signature = try provider.sign(blob: key.blob, data: data, flags: flags)
    let decoded = try SignatureBlob(decoding: signature)
    #expect(decoded.algorithm == algorithm)
    #expect(decoded.signature.count == 256)
    #expect(key.publicKey.verify(signature: signature, data: data))
    #expect(!key.publicKey.verify(signature: signature, data: data + [0]))
  }

  @Test func ecdsaSignaturesVerifyRepeatedlyInOneSession() throws {
    let provider = try Self.load()
    defer { provider.unload() }
    let key = try Self.key(provider, "ecdsa-sha2-nistp256")
    for round in 0..<3 {
      let data = Array("ecdsa \(round)".utf8)
      let signature = try provider.sign(blob: key.blob, data: data, flags: 0)
      #expect(try SignatureBlob(decoding: signature).algorithm == "ecdsa-sha2-nistp256")
      #expect(key.publicKey.verify(signature: signature, data: data))
    }
  }

  @Test func wrongPINFailsWithOneLine() throws {
    let token = try SoftHSMToken.unshared()
    #expect(throws: PKCS11Error.incorrectPIN) {
      try Self.serialLoad(path: SoftHSMToken.provider, pin: Array("0000".utf8), environment: token.environment)
    }
    // The right PIN still logs in: the failure was the PIN's, not a broken helper's.
    let provider = try Self.serialLoad(
      path: SoftHSMToken.provider, pin: Array(SoftHSMToken.pin.utf8), environment: token.environment)
    defer { provider.unload() }
    #expect(provider.isLoaded)
    #expect(!PKCS11Error.incorrectPIN.description.contains("\n"))
  }

  @Test func emptyPINFindsNoPrivateKeys() throws {
    // SoftHSM keeps private keys private: without a login there is nothing to sign with.
    let provider = try Self.load(pin: "")
    defer { provider.unload() }
    #expect(provider.keys.isEmpty)
  }

  @Test func providerOutsideTheAllowListIsRefused() throws {
    let folder = NSTemporaryDirectory() + "keyhold-p11-copy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let copy = folder + "/libsofthsm2.so"
    try FileManager.default.copyItem(atPath: try PKCS11AllowList.canonicalPath(SoftHSMToken.provider), toPath: copy)
    let canonical = try PKCS11AllowList.canonicalPath(copy)
    #expect(throws: PKCS11Error.providerNotAllowed(path: canonical)) {
      try Self.serialLoad(path: copy, pin: Array(SoftHSMToken.pin.utf8), environment: Self.token().environment)
    }
    // The same library is loaded once the allow-list names its folder.
    let provider = try Self.serialLoad(
      path: copy, pin: Array(SoftHSMToken.pin.utf8), allowList: PKCS11AllowList(patterns: folder + "/*"),
      environment: Self.token().environment)
    defer { provider.unload() }
    #expect(provider.keys.count == 2)
  }

  @Test func symlinkIntoTheAllowedFoldersIsJudgedByItsTarget() throws {
    let folder = NSTemporaryDirectory() + "keyhold-p11-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let link = folder + "/provider.so"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: SoftHSMToken.provider)
    let provider = try Self.serialLoad(
      path: link, pin: Array(SoftHSMToken.pin.utf8), environment: Self.token().environment)
    defer { provider.unload() }
    #expect(provider.path == (try PKCS11AllowList.canonicalPath(SoftHSMToken.provider)))
    #expect(provider.path.hasPrefix("/usr/lib"))
  }

  @Test func killedHelperGivesACleanErrorAndTheNextLoadWorks() throws {
    let provider = try Self.load()
    let key = try Self.key(provider, "ecdsa-sha2-nistp256")
    let pid = try #require(provider.helperPID)
    #expect(kill(pid, SIGKILL) == 0)
    #expect(throws: PKCS11Error.helperExited(reason: "was killed by signal 9")) {
      try provider.sign(blob: key.blob, data: [1, 2, 3], flags: 0)
    }
    #expect(!provider.isLoaded)
    // The error stays the same on later calls, without a new process.
    #expect(throws: PKCS11Error.helperExited(reason: "was killed by signal 9")) {
      try provider.sign(blob: key.blob, data: [1, 2, 3], flags: 0)
    }
    provider.unload()

    let again = try Self.load()
    defer { again.unload() }
    let signature = try again.sign(blob: key.blob, data: [1, 2, 3], flags: 0)
    #expect(key.publicKey.verify(signature: signature, data: [1, 2, 3]))
  }

  @Test func unloadEndsTheHelperAndLaterSignsFail() throws {
    let provider = try Self.load()
    let key = try Self.key(provider, "ssh-rsa")
    let pid = try #require(provider.helperPID)
    provider.unload()
    #expect(!provider.isLoaded)
    // The helper was reaped: the pid names no child any more.
    #expect(kill(pid, 0) != 0)
    #expect(throws: PKCS11Error.unloaded) { try provider.sign(blob: key.blob, data: [1], flags: 2) }
  }

  @Test func keyNotOfTheProviderIsRefused() throws {
    let provider = try Self.load()
    defer { provider.unload() }
    let other = try PrivateKey.generate(.ed25519, comment: "x").publicKey.blob
    #expect(throws: PKCS11Error.noSuchKey) { try provider.sign(blob: other, data: [1], flags: 0) }
    #expect(provider.isLoaded)
  }

  @Test func missingHelperFailsToStart() throws {
    let token = try Self.token()
    #expect(throws: PKCS11Error.helperNotStarted(helper: "/nonexistent/helper", reason: "no such file or directory")) {
      try Self.serialLoad(
        path: SoftHSMToken.provider, pin: [], helper: "/nonexistent/helper", environment: token.environment)
    }
  }

  @Test func libraryThatIsNoProviderFailsWithOneLine() throws {
    let libc = try PKCS11AllowList.canonicalPath("/lib/x86_64-linux-gnu/libc.so.6")
    do {
      _ = try Self.serialLoad(path: libc, pin: [])
      Issue.record("libc loaded as a provider")
    } catch {
      #expect(error == .providerFailed("\(libc) has no C_GetFunctionList"))
      #expect(!error.description.contains("\n"))
    }
  }

  @Test func missingProviderFailsToResolve() {
    #expect(throws: PKCS11Error.providerNotFound(path: "/usr/lib/nonexistent.so", reason: "no such file or directory"))
    {
      try Self.serialLoad(path: "/usr/lib/nonexistent.so", pin: [])
    }
  }

  @Test func helperIsFoundNextToTheRunningExecutable() throws {
    let path = PKCS11Provider.helperPath()
    #expect(path.hasSuffix("/keyhold-pkcs11-helper"))
    #expect(FileManager.default.isExecutableFile(atPath: path))
    #expect(PKCS11Provider.helperPath(override: "/opt/h") == "/opt/h")
  }
}
