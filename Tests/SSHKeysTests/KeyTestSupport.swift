import Foundation
import KeyholdCrypto
import SSHWire
import TestSupport
import Testing

@testable import SSHKeys

/// Helpers shared by the key tests: temp folders, running OpenSSH/OpenSSL, reading `ssh-keygen` output.
enum KeyTestSupport {
  /// The repository root (the folder holding Package.swift).
  static let repoRoot = Repository.root

  /// A fresh private temp folder (``TemporaryTree/make(_:)``), removed by the caller.
  static func tempDir() throws -> URL {
    URL(fileURLWithPath: TemporaryTree.make("keyhold-keys"), isDirectory: true)
  }

  struct Output {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
  }

  /// Runs a program (looked up on PATH) with optional standard input.
  @discardableResult
  static func run(_ args: [String], stdin: Data? = nil, cwd: URL? = nil) throws -> Output {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let cwd { p.currentDirectoryURL = cwd }
    let out = Pipe()
    let err = Pipe()
    let inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(stdin) }
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Output(status: p.terminationStatus, stdout: o, stderr: String(decoding: e, as: UTF8.self))
  }

  /// Writes `text` to `url` with mode 0600 (ssh-keygen refuses readable private keys).
  static func writePrivate(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
  }

  /// `ssh-keygen -t type [-b bits] -N '' -f dir/name`; returns the private key file's URL.
  static func sshKeygen(_ type: String, bits: Int? = nil, in dir: URL, name: String, comment: String = "test")
    throws -> URL
  {
    let file = dir.appendingPathComponent(name)
    var args = ["ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment, "-f", file.path]
    if let bits { args += ["-b", String(bits)] }
    let r = try run(args)
    #expect(r.status == 0, "ssh-keygen failed: \(r.stderr)")
    return file
  }

  /// The pieces of an unencrypted `openssh-key-v1` file (PROTOCOL.key).
  struct OpenSSHFile {
    var publicBlob: [UInt8]
    /// The private-key wire form exactly as stored.
    var privateWire: [UInt8]
    var comment: String
  }

  /// Reads an unencrypted OpenSSH private key file (test-only reader; the product reader lives with the containers).
  static func readOpenSSHFile(_ text: String) throws -> OpenSSHFile {
    let base64 = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    let body = try #require(Data(base64Encoded: base64)).map { $0 }
    let magic = Array("openssh-key-v1".utf8) + [0]
    #expect(Array(body.prefix(magic.count)) == magic)
    var r = SSHReader(Array(body.dropFirst(magic.count)))
    #expect(try r.readUTF8() == "none")
    #expect(try r.readUTF8() == "none")
    _ = try r.readString()
    #expect(try r.readUInt32() == 1)
    let publicBlob = try r.readString()
    var section = SSHReader(try r.readString())
    try r.expectEnd()
    let check1 = try section.readUInt32()
    let check2 = try section.readUInt32()
    #expect(check1 == check2)
    let start = section.offset
    // Skip the private key structurally (type name, then a per-type count of strings/mpints), so keys keyhold
    // refuses (RSA-1024, ...) can still be read for tests.
    var probe = section
    let type = try probe.readUTF8()
    let counts = ["ssh-ed25519": 2, "ssh-rsa": 6, "ssh-dss": 5]
    for _ in 0..<(counts[type] ?? 3) { _ = try probe.readString() }
    let wire = Array(section.bytes[start..<probe.offset])
    section = probe
    let comment = try section.readUTF8()
    let padding = section.readRest()
    #expect(padding == Array((0..<padding.count).map { UInt8($0 + 1) }))
    return OpenSSHFile(publicBlob: publicBlob, privateWire: wire, comment: comment)
  }

  /// Loads a private key written by `ssh-keygen` (unencrypted OpenSSH format).
  static func loadOpenSSHKey(_ url: URL) throws -> PrivateKey {
    let file = try readOpenSSHFile(String(contentsOf: url, encoding: .utf8))
    var reader = SSHReader(file.privateWire)
    return try PrivateKey.decodeWire(&reader).withComment(file.comment)
  }

  /// A PEM block.
  static func pem(_ label: String, _ der: [UInt8]) -> String {
    let b64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
    return "-----BEGIN \(label)-----\n\(b64)\n-----END \(label)-----\n"
  }

  /// Wraps a signature as an SSHSIG file (PROTOCOL.sshsig) over `message`, hashed with SHA-512.
  static func sshsig(key: PrivateKey, namespace: String, message: [UInt8], flags: SignFlags = []) throws -> String {
    let magic = Array("SSHSIG".utf8)
    var h = SSHWriter()
    h.writeBytes(magic)
    h.writeString(namespace)
    h.writeString([UInt8]())
    h.writeString("sha512")
    h.writeString(Digest.sha512(message))
    let signature = try key.sign(h.bytes, flags: flags)
    var w = SSHWriter()
    w.writeBytes(magic)
    w.writeUInt32(1)
    w.writeString(key.plainPublicKey.blob)
    w.writeString(namespace)
    w.writeString([UInt8]())
    w.writeString("sha512")
    w.writeString(signature)
    let b64 = Data(w.bytes).base64EncodedString()
    var lines: [String] = []
    var rest = Substring(b64)
    while !rest.isEmpty {
      lines.append(String(rest.prefix(70)))
      rest = rest.dropFirst(70)
    }
    return "-----BEGIN SSH SIGNATURE-----\n" + lines.joined(separator: "\n") + "\n-----END SSH SIGNATURE-----\n"
  }

  /// Checks an SSHSIG with `ssh-keygen -Y check-novalidate`; returns its exit status and output.
  static func checkWithSSHKeygen(sig: String, message: [UInt8], namespace: String, in dir: URL) throws -> Output {
    let sigFile = dir.appendingPathComponent("msg.sig")
    try Data(sig.utf8).write(to: sigFile)
    return try run(
      ["ssh-keygen", "-Y", "check-novalidate", "-n", namespace, "-s", sigFile.path], stdin: Data(message))
  }

  /// DER `ECDSA-Sig-Value` from r and s magnitudes (for `openssl dgst -verify`).
  static func derECDSA(r: [UInt8], s: [UInt8]) -> [UInt8] {
    func integer(_ m: [UInt8]) -> [UInt8] {
      var v = Array(m.drop(while: { $0 == 0 }))
      if v.isEmpty || v[0] & 0x80 != 0 { v.insert(0, at: 0) }
      return [0x02] + length(v.count) + v
    }
    func length(_ n: Int) -> [UInt8] { n < 0x80 ? [UInt8(n)] : [0x81, UInt8(n)] }
    let body = integer(r) + integer(s)
    return [0x30] + length(body.count) + body
  }

  /// Verifies a raw signature with `openssl dgst -<hash> -verify`.
  static func opensslVerify(
    publicKey: PublicKey, hash: String, signature: [UInt8], message: [UInt8], in dir: URL
  ) throws -> Output {
    let pub = dir.appendingPathComponent("pub.pem")
    try Data(pem("PUBLIC KEY", try publicKey.subjectPublicKeyInfo()).utf8).write(to: pub)
    let sigFile = dir.appendingPathComponent("raw.sig")
    try Data(signature).write(to: sigFile)
    return try run(
      ["openssl", "dgst", "-" + hash, "-verify", pub.path, "-signature", sigFile.path], stdin: Data(message))
  }
}
