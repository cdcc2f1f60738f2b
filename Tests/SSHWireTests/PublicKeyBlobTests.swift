import SSHWire
import Testing

/// The case of a `WireError`, without its payload, so tables can name the error they expect.
func errorCase(_ e: WireError) -> String {
  switch e {
  case .truncated: return "truncated"
  case .lengthTooLarge: return "lengthTooLarge"
  case .nonCanonicalMPInt: return "nonCanonicalMPInt"
  case .invalidBool: return "invalidBool"
  case .invalidUTF8: return "invalidUTF8"
  case .trailingBytes: return "trailingBytes"
  case .invalidValue: return "invalidValue"
  case .badFrameLength: return "badFrameLength"
  case .unknownKeyType: return "unknownKeyType"
  case .badKeyField: return "badKeyField"
  }
}

/// Builds wire bytes in tests.
func wire(_ body: (inout SSHWriter) -> Void) -> [UInt8] {
  var w = SSHWriter()
  body(&w)
  return w.bytes
}

/// The structure of public key blobs: canonical round trips and a table of malformed blobs with typed errors.
@Suite struct PublicKeyBlobTests {
  static let ed25519Key = [UInt8](repeating: 7, count: 32)
  static let point256 = [0x04] + [UInt8](repeating: 1, count: 64)
  static let modulus = [0xc1] + [UInt8](repeating: 0x55, count: 255)

  static let ed25519 = wire {
    $0.writeString("ssh-ed25519")
    $0.writeString(ed25519Key)
  }
  static let ecdsa = wire {
    $0.writeString("ecdsa-sha2-nistp256")
    $0.writeString("nistp256")
    $0.writeString(point256)
  }
  static let rsa = wire {
    $0.writeString("ssh-rsa")
    $0.writePositiveMPInt([0x01, 0x00, 0x01])
    $0.writePositiveMPInt(modulus)
  }

  /// An Ed25519 user certificate with every field set (PROTOCOL.certkeys field order).
  static func certificate(
    type: String = "ssh-ed25519-cert-v01@openssh.com", certType: UInt32 = 1,
    principals: [[UInt8]] = [Array("alice".utf8), Array("bob".utf8)]
  ) -> [UInt8] {
    wire { w in
      w.writeString(type)
      w.writeString([UInt8](repeating: 9, count: 32))
      w.writeString(ed25519Key)
      w.writeUInt64(42)
      w.writeUInt32(certType)
      w.writeString("key id")
      w.writeString(wire { p in for name in principals { p.writeString(name) } })
      w.writeUInt64(1000)
      w.writeUInt64(2000)
      w.writeString(
        wire { o in
          o.writeString("force-command")
          o.writeString(wire { $0.writeString("/bin/true") })
        })
      w.writeString(
        wire { o in
          o.writeString("permit-pty")
          o.writeString([UInt8]())
        })
      w.writeString([UInt8]())
      w.writeString(ecdsa)
      w.writeString(
        wire { s in
          s.writeString("ecdsa-sha2-nistp256")
          s.writeString([1, 2, 3])
        })
    }
  }

  @Test("valid blobs decode and re-encode to the same bytes", arguments: [ed25519, ecdsa, rsa, certificate()])
  func decodeEncodeIsIdentity(blob: [UInt8]) throws {
    let decoded = try PublicKeyBlob(decoding: blob)
    #expect(decoded.encoded() == blob)
  }

  @Test("plain keys decode into their fields")
  func plainFields() throws {
    #expect(
      try PublicKeyBlob(decoding: PublicKeyBlobTests.ed25519) == .ed25519(publicKey: PublicKeyBlobTests.ed25519Key))
    #expect(
      try PublicKeyBlob(decoding: PublicKeyBlobTests.ecdsa)
        == .ecdsa(curve: .nistp256, point: PublicKeyBlobTests.point256))
    #expect(
      try PublicKeyBlob(decoding: PublicKeyBlobTests.rsa) == .rsa(e: [1, 0, 1], n: PublicKeyBlobTests.modulus))
    #expect(try PublicKeyBlob(decoding: PublicKeyBlobTests.rsa).typeName == "ssh-rsa")
  }

  @Test("a certificate exposes its key and fields")
  func certificateFields() throws {
    let decoded = try PublicKeyBlob(decoding: PublicKeyBlobTests.certificate())
    #expect(decoded.isCertificate)
    #expect(decoded.typeName == "ssh-ed25519-cert-v01@openssh.com")
    #expect(decoded.plainKey == .ed25519(publicKey: PublicKeyBlobTests.ed25519Key))
    guard case .certificate(let c) = decoded else {
      Issue.record("not a certificate")
      return
    }
    #expect(c.serial == 42)
    #expect(c.keyID == "key id")
    #expect(c.principals == ["alice", "bob"])
    #expect(c.validAfter == 1000 && c.validBefore == 2000)
    #expect(c.criticalOptionList.map(\.name) == ["force-command"])
    #expect(c.extensionList.map(\.name) == ["permit-pty"])
    #expect(c.signatureKey == PublicKeyBlobTests.ecdsa)
  }

  /// (name, blob, expected error case)
  static let malformed: [(String, [UInt8], String)] = [
    ("empty", [], "truncated"),
    ("type only", wire { $0.writeString("ssh-ed25519") }, "truncated"),
    ("length past the end", [0, 0, 0, 11] + Array("ssh-ed".utf8), "truncated"),
    (
      "ed25519 key of 31 bytes",
      wire {
        $0.writeString("ssh-ed25519")
        $0.writeString([UInt8](repeating: 1, count: 31))
      }, "badKeyField"
    ),
    (
      "ed25519 key of 33 bytes",
      wire {
        $0.writeString("ssh-ed25519")
        $0.writeString([UInt8](repeating: 1, count: 33))
      }, "badKeyField"
    ),
    ("ed25519 with a trailing byte", ed25519 + [0], "trailingBytes"),
    ("ed25519 truncated key", Array(ed25519.dropLast()), "truncated"),
    (
      "ecdsa curve name mismatch",
      wire {
        $0.writeString("ecdsa-sha2-nistp256")
        $0.writeString("nistp384")
        $0.writeString(point256)
      }, "badKeyField"
    ),
    (
      "ecdsa compressed point",
      wire {
        $0.writeString("ecdsa-sha2-nistp256")
        $0.writeString("nistp256")
        $0.writeString([0x02] + [UInt8](repeating: 1, count: 32))
      }, "badKeyField"
    ),
    (
      "ecdsa point of the wrong length",
      wire {
        $0.writeString("ecdsa-sha2-nistp256")
        $0.writeString("nistp256")
        $0.writeString(point256.dropLast())
      }, "badKeyField"
    ),
    (
      "ecdsa p384 point on p256",
      wire {
        $0.writeString("ecdsa-sha2-nistp384")
        $0.writeString("nistp384")
        $0.writeString(point256)
      }, "badKeyField"
    ),
    ("ecdsa with a trailing byte", ecdsa + [1], "trailingBytes"),
    (
      "rsa exponent with a needless zero byte",
      wire {
        $0.writeString("ssh-rsa")
        $0.writeString([0x00, 0x01, 0x00, 0x01])
        $0.writePositiveMPInt(modulus)
      }, "nonCanonicalMPInt"
    ),
    (
      "rsa negative modulus",
      wire {
        $0.writeString("ssh-rsa")
        $0.writePositiveMPInt([3])
        $0.writeString(modulus)
      }, "nonCanonicalMPInt"
    ),
    (
      "rsa zero exponent",
      wire {
        $0.writeString("ssh-rsa")
        $0.writeString([UInt8]())
        $0.writePositiveMPInt(modulus)
      }, "badKeyField"
    ),
    ("rsa with a trailing byte", rsa + [0], "trailingBytes"),
    (
      "ssh-dss",
      wire {
        $0.writeString("ssh-dss")
        $0.writePositiveMPInt([1])
      }, "unknownKeyType"
    ),
    ("security key type", wire { $0.writeString("sk-ssh-ed25519@openssh.com") }, "unknownKeyType"),
    ("type name with a space", wire { $0.writeString("ssh ed25519") }, "invalidValue"),
    ("empty type name", wire { $0.writeString("") }, "invalidValue"),
    ("certificate of an unknown type", certificate(type: "ssh-dss-cert-v01@openssh.com"), "unknownKeyType"),
    ("certificate of type 3", certificate(certType: 3), "invalidValue"),
    ("certificate cut short", Array(certificate().dropLast(3)), "truncated"),
    ("certificate with a trailing byte", certificate() + [0], "trailingBytes"),
    ("certificate principal not UTF-8", certificate(principals: [[0x61, 0xC3]]), "invalidUTF8"),
  ]

  @Test("malformed blobs throw the expected typed error", arguments: 0..<malformed.count)
  func malformedBlobIsRejected(index: Int) throws {
    let (name, blob, expected) = PublicKeyBlobTests.malformed[index]
    do {
      let decoded = try PublicKeyBlob(decoding: blob)
      Issue.record("\(name): decoded as \(decoded)")
    } catch {
      #expect(errorCase(error) == expected, "\(name): \(error)")
    }
  }

  @Test("no prefix of a valid certificate decodes, and none traps")
  func everyTruncationIsAnError() {
    let blob = PublicKeyBlobTests.certificate()
    for n in 0..<blob.count {
      #expect(throws: WireError.self) { _ = try PublicKeyBlob(decoding: Array(blob.prefix(n))) }
    }
  }
}
