import KeyholdCrypto
import SSHWire

extension PrivateKey {
  /// A private key's fields in PROTOCOL.agent order, held in ordinary memory only while a key is built or encoded;
  /// ``wipe()`` zeroes the secret ones.
  struct Fields {
    var algorithm: KeyAlgorithm
    /// Ed25519 public key, or the EC point Q.
    var point: [UInt8] = []
    /// RSA modulus and public exponent (magnitudes).
    var n: [UInt8] = []
    var e: [UInt8] = []
    /// Ed25519: the 64-byte seed ‖ public key; ECDSA: the scalar d; RSA: the private exponent d.
    var secret: [UInt8] = []
    /// RSA q⁻¹ mod p, p and q (magnitudes).
    var iqmp: [UInt8] = []
    var p: [UInt8] = []
    var q: [UInt8] = []

    init(algorithm: KeyAlgorithm) { self.algorithm = algorithm }

    /// The curve of an ECDSA key.
    var curve: PublicKeyBlob.Curve? {
      switch algorithm {
      case .ecdsaP256: return .nistp256
      case .ecdsaP384: return .nistp384
      case .ecdsaP521: return .nistp521
      default: return nil
      }
    }

    /// Zeroes the secret fields.
    mutating func wipe() {
      SecureBytes.wipe(&secret)
      SecureBytes.wipe(&iqmp)
      SecureBytes.wipe(&p)
      SecureBytes.wipe(&q)
    }

    /// The plain public key these fields describe.
    var publicStructure: PublicKeyBlob {
      switch algorithm {
      case .ed25519: return .ed25519(publicKey: point)
      case .rsa: return .rsa(e: e, n: n)
      default: return .ecdsa(curve: curve!, point: point)
      }
    }

    /// Writes the private-key wire form into guarded memory: the plain form (`string type`, public fields, private
    /// fields) or, with `certificateBlob`, the certificate form of PROTOCOL.agent (`string cert-type, string cert`,
    /// then only the private fields the certificate does not already carry).
    func encode(certificateBlob: [UInt8]? = nil) -> SecureBytes {
      do { return try encodeOrThrow(certificateBlob: certificateBlob) } catch { fatalError("out of secure memory") }
    }

    /// ``encode(certificateBlob:)`` that throws when guarded memory is exhausted (for keys that come from outside).
    func encodeOrThrow(certificateBlob: [UInt8]? = nil) throws(KeyError) -> SecureBytes {
      let capacity = 96 + point.count + secret.count + n.count * 4 + (certificateBlob?.count ?? 0)
      var bytes = Fields.build(capacity: capacity) { w in
        if let certificateBlob {
          w.writeString(algorithm.rawValue + PublicKeyBlob.certificateSuffix)
          w.writeString(certificateBlob)
        } else {
          w.writeString(algorithm.rawValue)
        }
        let plain = certificateBlob == nil
        switch algorithm {
        case .ed25519:
          // Both forms repeat the public key before the secret (sshkey_private_serialize_opt).
          w.writeString(point)
          w.writeString(secret)
        case .rsa:
          if plain {
            w.writePositiveMPInt(n)
            w.writePositiveMPInt(e)
          }
          w.writePositiveMPInt(secret)
          w.writePositiveMPInt(iqmp)
          w.writePositiveMPInt(p)
          w.writePositiveMPInt(q)
        default:
          if plain {
            w.writeString(curve!.rawValue)
            w.writeString(point)
          }
          w.writePositiveMPInt(secret)
        }
      }
      defer { SecureBytes.wipe(&bytes) }
      do { return try SecureBytes.allocate(copying: bytes) } catch { throw KeyError(error) }
    }

    /// Runs `body` on a writer with enough capacity that it never reallocates (a reallocation would leave a stray
    /// copy of secrets in freed memory) and returns its bytes as the only reference.
    private static func build(capacity: Int, _ body: (inout SSHWriter) -> Void) -> [UInt8] {
      var w = SSHWriter(capacity: capacity)
      body(&w)
      return w.bytes
    }

    /// Reads the fields of the plain wire form (the inverse of ``encode(certificateBlob:)`` without a certificate).
    static func decodePlain(_ wire: SecureBytes) -> Fields {
      var copy = wire.unsafeCopy()
      defer { SecureBytes.wipe(&copy) }
      // The form was written by `encode`, so it decodes; a failure here is a programming error.
      guard let f = try? read(copy) else { preconditionFailure("stored private key wire form does not decode") }
      return f
    }

    private static func read(_ bytes: [UInt8]) throws(WireError) -> Fields {
      var r = SSHReader(bytes)
      let name = try PublicKeyBlob.readTypeName(&r)
      guard let algorithm = KeyAlgorithm(rawValue: name) else { throw .unknownKeyType(name) }
      var f = Fields(algorithm: algorithm)
      switch algorithm {
      case .ed25519:
        f.point = try r.readString()
        f.secret = try r.readString()
      case .rsa:
        f.n = try r.readPositiveMPInt()
        f.e = try r.readPositiveMPInt()
        f.secret = try r.readPositiveMPInt()
        f.iqmp = try r.readPositiveMPInt()
        f.p = try r.readPositiveMPInt()
        f.q = try r.readPositiveMPInt()
      default:
        _ = try r.readString()
        f.point = try r.readString()
        f.secret = try r.readPositiveMPInt()
      }
      return f
    }
  }
}
