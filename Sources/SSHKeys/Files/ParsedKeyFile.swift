/// The container a key was read from (keyhold-import(1) lists them).
public enum KeyContainer: String, Sendable, Hashable, Codable, CaseIterable {
  /// OpenSSH's own format, `-----BEGIN OPENSSH PRIVATE KEY-----` (PROTOCOL.key), encrypted or not.
  case openSSH = "openssh"
  /// PKCS#1 `RSA PRIVATE KEY`, unencrypted (RFC 8017 appendix A.1.2).
  case pkcs1 = "pkcs1"
  /// SEC1 `EC PRIVATE KEY`, unencrypted (RFC 5915).
  case sec1 = "sec1"
  /// PKCS#8 `PRIVATE KEY` (RFC 5958 OneAsymmetricKey / PrivateKeyInfo).
  case pkcs8 = "pkcs8"
  /// PKCS#8 `ENCRYPTED PRIVATE KEY` (RFC 5958 EncryptedPrivateKeyInfo, usually PBES2).
  case encryptedPKCS8 = "pkcs8-encrypted"
  /// A PKCS#1 or SEC1 PEM block with `Proc-Type: 4,ENCRYPTED` and `DEK-Info` headers (RFC 1421 style).
  case legacyEncryptedPEM = "pem-encrypted"
  /// Raw DER: PKCS#1, SEC1, or PKCS#8 (plain or encrypted) without PEM armour.
  case der = "der"
  /// An OpenSSH public key line, `TYPE BASE64 [COMMENT]` (also certificates).
  case publicLine = "openssh-public"
  /// An RFC 4716 `---- BEGIN SSH2 PUBLIC KEY ----` block.
  case rfc4716 = "rfc4716"
  /// An X.509 SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): a PEM `PUBLIC KEY` block (RFC 7468 §13), as written by
  /// `openssl pkey -pubout`, or the same structure as raw DER.
  case spki = "spki"
}

/// The outer layer a key arrived in when piped from a cloud tool.
public enum KeyFileWrapper: String, Sendable, Hashable, Codable, CaseIterable {
  /// The key file itself.
  case none = "none"
  /// euca2ools `euca-add-keypair` output: a `KEYPAIR<TAB>name<TAB>fingerprint` line, then the PEM.
  case euca2ools = "euca2ools"
  /// aws cli `ec2 create-key-pair` JSON: `KeyFingerprint`, `KeyMaterial`, `KeyName`, `KeyPairId`.
  case awsJSON = "aws-json"
  /// aws cli `ec2 create-key-pair --output text`: fingerprint, material, name and id, tab-separated.
  case awsText = "aws-text"
}

/// A key read by ``KeyFile/parse(_:passphrase:limits:)``: the key, its comment, and what the file said about it.
public struct ParsedKeyFile: Sendable {
  /// The key itself: a private key, or only a public key (`.pub`, RFC 4716, SubjectPublicKeyInfo).
  public enum Key: Sendable {
    /// A private key (its public half is ``PrivateKey/publicKey``).
    case privateKey(PrivateKey)
    /// A public key or certificate only.
    case publicKey(PublicKey)
  }

  /// The key read.
  public var key: Key
  /// The comment stored with the key (OpenSSH files and `.pub` lines); empty for PEM and DER, which have none.
  public var comment: String
  /// The container the key was in (inside any wrapper).
  public var container: KeyContainer
  /// True when the container was passphrase-protected.
  public var wasEncrypted: Bool
  /// The cloud tool output the container was wrapped in, if any.
  public var wrapper: KeyFileWrapper
  /// The key pair name the cloud tool reported (`KeyName`, or the euca2ools `KEYPAIR` line).
  public var cloudKeyName: String?
  /// The fingerprint the cloud reported for the key pair, exactly as printed.
  public var cloudFingerprint: String?
  /// The AWS key pair id (`key-...`), when the wrapper carries one.
  public var keyPairID: String?

  /// Creates a parsed key file from its parts (used by the parsers and tests).
  public init(
    key: Key, comment: String, container: KeyContainer, wasEncrypted: Bool, wrapper: KeyFileWrapper = .none,
    cloudKeyName: String? = nil, cloudFingerprint: String? = nil, keyPairID: String? = nil
  ) {
    self.key = key
    self.comment = comment
    self.container = container
    self.wasEncrypted = wasEncrypted
    self.wrapper = wrapper
    self.cloudKeyName = cloudKeyName
    self.cloudFingerprint = cloudFingerprint
    self.keyPairID = keyPairID
  }

  /// The private key, or nil when the file held only a public key.
  public var privateKey: PrivateKey? {
    if case .privateKey(let k) = key { return k }
    return nil
  }

  /// The public key (of the private key, when there is one).
  public var publicKey: PublicKey {
    switch key {
    case .privateKey(let k): return k.publicKey
    case .publicKey(let p): return p
    }
  }
}
