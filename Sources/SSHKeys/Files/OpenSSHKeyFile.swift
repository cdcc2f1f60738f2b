import KeyholdCrypto
import SSHWire

/// OpenSSH's private key format, `openssh-key-v1` (OpenSSH PROTOCOL.key):
///
///     byte[15] "openssh-key-v1\0"
///     string   ciphername, kdfname, kdfoptions
///     uint32   number of keys (1)
///     string   public key blob
///     string   private section, encrypted, followed by the AEAD tag if any:
///              uint32 checkint, uint32 checkint, private key (wire form), string comment, padding 1, 2, 3, ...
///
/// With kdfname `bcrypt`, kdfoptions is `string salt, uint32 rounds` and bcrypt_pbkdf yields the cipher key and IV.
enum OpenSSHKeyFile {
  /// The format's magic bytes, NUL included.
  static let magic: [UInt8] = Array("openssh-key-v1".utf8) + [0]
  /// The PEM label.
  static let label = "OPENSSH PRIVATE KEY"

  /// Decodes the binary form (the base64-decoded body of the PEM armour).
  static func decode(binary: [UInt8], provider: PassphraseProvider, limits: KeyFile.Limits) throws -> ParsedKeyFile {
    do {
      return try decodeFields(binary: binary, provider: provider, limits: limits)
    } catch let e as WireError {
      throw KeyError.malformed("OpenSSH private key: \(e)")
    }
  }

  /// The outer layer of an OpenSSH key file, opened: the public blob and the decrypted private section.
  struct Envelope {
    /// The public key blob from the unencrypted header.
    var publicBlob: [UInt8]
    /// The private section in plaintext (check ints, key, comment, padding). The caller wipes it.
    var plain: [UInt8]
    /// The cipher that protected the section.
    var cipher: OpenSSHCipher
  }

  /// Reads the header and decrypts the private section, asking for the passphrase only when it is encrypted.
  static func open(binary: [UInt8], provider: PassphraseProvider, limits: KeyFile.Limits) throws -> Envelope {
    var r = SSHReader(binary)
    guard try r.readBytes(magic.count) == magic else { throw KeyError.malformed("OpenSSH private key: bad magic") }
    let cipherName = String(decoding: try r.readString(), as: UTF8.self)
    let kdfName = String(decoding: try r.readString(), as: UTF8.self)
    let kdfOptions = try r.readString()
    let keyCount = try r.readUInt32()
    guard keyCount == 1 else {
      throw KeyError.malformed("OpenSSH private key holds \(keyCount) keys; exactly one is supported")
    }
    let publicBlob = try r.readString()
    try checkKeyType(publicBlob)
    let sealed = try r.readString()

    guard let cipher = OpenSSHCipher.named(cipherName) else { throw KeyError.unsupportedCipher(cipherName) }
    let tag = try r.readBytes(cipher.tagLength)
    try r.expectEnd()

    guard cipher.mode != .none else {
      guard kdfName == "none", kdfOptions.isEmpty else {
        throw KeyError.malformed("unencrypted key with kdf \(kdfName)")
      }
      guard sealed.count % cipher.blockSize == 0 else {
        throw KeyError.malformed("private section is not a multiple of \(cipher.blockSize) bytes")
      }
      return Envelope(publicBlob: publicBlob, plain: sealed, cipher: cipher)
    }
    guard kdfName == "bcrypt" else {
      if kdfName == "none" { throw KeyError.malformed("cipher \(cipherName) without a KDF") }
      throw KeyError.unsupportedCipher("kdf \(kdfName)")
    }
    var o = SSHReader(kdfOptions)
    let salt = try o.readString()
    let rounds = try o.readUInt32()
    try o.expectEnd()
    guard rounds >= 1, Int(rounds) <= limits.maxBcryptRounds else {
      throw KeyError.malformed("bcrypt rounds \(rounds) outside 1...\(limits.maxBcryptRounds)")
    }
    guard !salt.isEmpty, salt.count <= 1024 else { throw KeyError.malformed("bcrypt salt of \(salt.count) bytes") }
    guard sealed.count % cipher.blockSize == 0, !sealed.isEmpty else {
      throw KeyError.malformed("encrypted section is not a whole number of \(cipherName) blocks")
    }
    let passphrase = try provider.get()
    guard passphrase.count > 0 else { throw KeyError.wrongPassphrase }
    let keyIV: SecureBytes
    do {
      keyIV = try BCryptPBKDF.derive(
        passphrase: passphrase, salt: salt, rounds: Int(rounds), keyLength: cipher.keyLength + cipher.ivLength)
    } catch .outOfSecureMemory {
      throw KeyError.outOfSecureMemory
    } catch {
      throw KeyError.malformed("bcrypt parameters: \(error)")
    }
    let plain = try cipher.decrypt(sealed, tag: tag, keyIV: keyIV)
    return Envelope(publicBlob: publicBlob, plain: plain, cipher: cipher)
  }

  private static func decodeFields(binary: [UInt8], provider: PassphraseProvider, limits: KeyFile.Limits) throws
    -> ParsedKeyFile
  {
    var envelope = try open(binary: binary, provider: provider, limits: limits)
    defer { SecureBytes.wipe(&envelope.plain) }
    let encrypted = envelope.cipher.mode != .none
    var (key, comment) = try decodePrivateSection(envelope.plain, encrypted: encrypted)
    guard key.plainPublicKey.blob == envelope.publicBlob else {
      throw KeyError.malformed("OpenSSH private key: public and private halves do not match")
    }
    key = key.withComment(comment)
    return ParsedKeyFile(key: .privateKey(key), comment: comment, container: .openSSH, wasEncrypted: encrypted)
  }

  /// Reads check ints, the key, the comment and the padding. A check-int mismatch after decryption means the
  /// passphrase was wrong (PROTOCOL.key: "the checkint ... must match").
  private static func decodePrivateSection(_ plain: [UInt8], encrypted: Bool) throws -> (PrivateKey, String) {
    var r = SSHReader(plain)
    let check1 = try r.readUInt32()
    let check2 = try r.readUInt32()
    guard check1 == check2 else {
      if encrypted { throw KeyError.wrongPassphrase }
      throw KeyError.malformed("OpenSSH private key: check ints differ")
    }
    var probe = r
    try checkKeyType(try probe.readString(), isTypeName: true)
    let key = try PrivateKey.decodeWire(&r)
    let comment = String(decoding: try r.readString(), as: UTF8.self)
    var expected: UInt8 = 1
    while !r.isAtEnd {
      guard try r.readByte() == expected else { throw KeyError.malformed("OpenSSH private key: bad padding") }
      expected &+= 1
    }
    return (key, comment)
  }

  /// Refuses key types keyhold does not hold, by the type name at the start of a blob (or the name itself).
  static func checkKeyType(_ blobOrName: [UInt8], isTypeName: Bool = false) throws {
    let name: String
    if isTypeName {
      name = String(decoding: blobOrName, as: UTF8.self)
    } else {
      var r = SSHReader(blobOrName)
      name = String(decoding: try r.readString(), as: UTF8.self)
    }
    guard KeyAlgorithm(rawValue: name) != nil else { throw KeyError.unsupportedKeyType(name) }
  }

  /// Encodes `key` as an encrypted `openssh-key-v1` file, armoured as `ssh-keygen` writes it (70-column base64),
  /// into guarded memory: bcrypt_pbkdf (`rounds`, random 16-byte salt) derives the key and IV of `cipherName`.
  static func encodeEncrypted(
    _ key: PrivateKey, comment: String, passphrase: SecureBytes, rounds: Int, cipherName: String
  ) throws(KeyError) -> SecureBytes {
    guard passphrase.count > 0 else { throw .unsupportedCipher("empty passphrase") }
    guard let cipher = OpenSSHCipher.named(cipherName), cipher.mode != .none else {
      throw .unsupportedCipher(cipherName)
    }
    guard rounds >= 1 else { throw .unsupportedCipher("bcrypt rounds \(rounds)") }
    let salt = Sodium.randomBytes(16)
    var kdfOptions = SSHWriter()
    kdfOptions.writeString(salt)
    kdfOptions.writeUInt32(UInt32(rounds))
    let keyIV: SecureBytes
    do {
      keyIV = try BCryptPBKDF.derive(
        passphrase: passphrase, salt: salt, rounds: rounds, keyLength: cipher.keyLength + cipher.ivLength)
    } catch {
      throw .unsupportedCipher("\(error)")
    }
    return try encode(key, comment: comment, cipher: cipher, kdf: "bcrypt", kdfOptions: kdfOptions.bytes) {
      (plain) throws(KeyError) in try cipher.encrypt(plain, keyIV: keyIV)
    }
  }

  /// Encodes `key` as an unencrypted `openssh-key-v1` file (cipher and KDF `none`), as `ssh-keygen -N ''` writes it.
  static func encodePlain(_ key: PrivateKey, comment: String) -> SecureBytes {
    encode(key, comment: comment, cipher: .unencrypted, kdf: "none", kdfOptions: []) { $0 }
  }

  /// The one `openssh-key-v1` writer (PROTOCOL.key): magic, cipher and KDF names, KDF options, one public key, then
  /// the private section (two equal random check integers, the plain private-key wire form, the comment, padding
  /// 1, 2, 3, ... to the cipher's block size) as `seal` returns it: ciphertext followed by the AEAD tag, if any. A
  /// certificate is not stored in the file (OpenSSH keeps it in `-cert.pub`).
  private static func encode<E: Error>(
    _ key: PrivateKey, comment: String, cipher: OpenSSHCipher, kdf: String, kdfOptions: [UInt8],
    seal: ([UInt8]) throws(E) -> [UInt8]
  ) throws(E) -> SecureBytes {
    // Sized for the whole section so the writer never reallocates (which would leave a stray copy of the key).
    var section = SSHWriter(capacity: 8 + key.plainWire.count + 4 + comment.utf8.count + cipher.blockSize)
    let check = Sodium.randomBytes(4)
    section.writeBytes(check)
    section.writeBytes(check)
    key.plainWire.withUnsafeBytes { section.writeBytes($0) }
    section.writeString(comment)
    var pad: UInt8 = 1
    while section.bytes.count % cipher.blockSize != 0 {
      section.writeByte(pad)
      pad += 1
    }
    var plain = section.bytes
    section = SSHWriter()
    defer { SecureBytes.wipe(&plain) }
    var sealed = try seal(plain)
    defer { SecureBytes.wipe(&sealed) }

    let publicBlob = key.plainPublicKey.blob
    var w = SSHWriter(capacity: 64 + kdfOptions.count + publicBlob.count + sealed.count)
    w.writeBytes(magic)
    w.writeString(cipher.name)
    w.writeString(kdf)
    w.writeString(kdfOptions)
    w.writeUInt32(1)
    w.writeString(publicBlob)
    w.writeString(sealed[..<plain.count])
    w.writeBytes(sealed[plain.count...])
    var binary = w.bytes
    w = SSHWriter()
    defer { SecureBytes.wipe(&binary) }
    return armour(binary)
  }

  /// `-----BEGIN OPENSSH PRIVATE KEY-----`, base64 in 70-column lines, `-----END ...-----`, as sshkey.c writes it.
  static func armour(_ binary: [UInt8]) -> SecureBytes {
    var b64 = Base64.encodedBytes(binary)
    defer { SecureBytes.wipe(&b64) }
    var out = [UInt8]()
    out.reserveCapacity(b64.count + b64.count / 70 + 80)
    out.append(contentsOf: "-----BEGIN \(label)-----\n".utf8)
    var i = 0
    while i < b64.count {
      let end = min(i + 70, b64.count)
      out.append(contentsOf: b64[i..<end])
      out.append(0x0a)
      i = end
    }
    out.append(contentsOf: "-----END \(label)-----\n".utf8)
    return SecureBytes(consuming: &out)
  }
}

extension KeyFile {
  /// Writes `key` as an OpenSSH private key file (`openssh-key-v1`, what `ssh-keygen` writes), into guarded memory.
  ///
  /// Without a passphrase the key is stored unencrypted (cipher `none`, as ``PrivateKey/openSSHPrivateKeyFile()`` writes it).
  /// With one, it is sealed with bcrypt_pbkdf (`rounds`, 16 by default as in ssh-keygen) and `cipher` (default
  /// `aes256-ctr`; also `aes128-ctr`, `aes192-ctr`, `aes*-cbc`, `aes128-gcm@openssh.com`, `aes256-gcm@openssh.com`,
  /// `chacha20-poly1305@openssh.com`). `comment` defaults to the key's own comment.
  public static func openSSHPrivateKeyFile(
    _ key: PrivateKey, comment: String? = nil, passphrase: SecureBytes? = nil, rounds: Int = 16,
    cipher: String = "aes256-ctr"
  ) throws(KeyError) -> SecureBytes {
    let comment = comment ?? key.comment
    guard let passphrase else { return OpenSSHKeyFile.encodePlain(key, comment: comment) }
    return try OpenSSHKeyFile.encodeEncrypted(
      key, comment: comment, passphrase: passphrase, rounds: rounds, cipherName: cipher)
  }
}
