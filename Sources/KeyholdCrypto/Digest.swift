import COpenSSL

/// Message digests over OpenSSL's EVP interface: the one place keyhold hashes with SHA-1, SHA-2 or MD5.
public enum Digest {
  /// The digest algorithms keyhold uses.
  public enum Algorithm: Sendable, CaseIterable {
    /// MD5 (RFC 1321): only for the fingerprints clouds show.
    case md5
    /// SHA-1 (FIPS 180-4): `ssh-rsa` signatures and cloud fingerprints.
    case sha1
    /// SHA-256 (FIPS 180-4).
    case sha256
    /// SHA-384 (FIPS 180-4).
    case sha384
    /// SHA-512 (FIPS 180-4).
    case sha512

    /// Output size in bytes.
    public var size: Int {
      switch self {
      case .md5: return 16
      case .sha1: return 20
      case .sha256: return 32
      case .sha384: return 48
      case .sha512: return 64
      }
    }

    /// The fetched `EVP_MD *`, for OpenSSL calls that take a digest (signing, verifying); fetched on first use,
    /// then reused (no per-call name lookup).
    public var evpMD: OpaquePointer { Digest.fetched.md(self) }
  }

  /// `EVP_MD` objects fetched once; an `EVP_MD` is immutable and shareable across threads.
  private struct Table: @unchecked Sendable {
    let md5, sha1, sha256, sha384, sha512: OpaquePointer

    func md(_ d: Algorithm) -> OpaquePointer {
      switch d {
      case .md5: return md5
      case .sha1: return sha1
      case .sha256: return sha256
      case .sha384: return sha384
      case .sha512: return sha512
      }
    }
  }

  private static let fetched: Table = {
    func fetch(_ algorithm: Algorithm) -> OpaquePointer {
      guard let md = EVP_MD_fetch(nil, algorithm.name, nil) else { fatalError("OpenSSL has no \(algorithm) digest") }
      return md
    }
    return Table(
      md5: fetch(.md5), sha1: fetch(.sha1), sha256: fetch(.sha256), sha384: fetch(.sha384), sha512: fetch(.sha512))
  }()

  /// Hashes `data` into `out`, which must hold at least `algorithm.size` bytes (a caller hashing secrets passes
  /// guarded memory).
  public static func hash(
    _ algorithm: Algorithm, _ data: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
  ) {
    precondition(out.count >= algorithm.size, "digest output buffer too small")
    // EVP_Digest reads through its input pointer even for zero bytes: give it a spare byte, never nil.
    var spare: UInt8 = 0
    let ok = withUnsafePointer(to: &spare) { sp in
      EVP_Digest(
        data.baseAddress ?? UnsafeRawPointer(sp), data.count, out.baseAddress?.assumingMemoryBound(to: UInt8.self),
        nil, algorithm.evpMD, nil) == 1
    }
    precondition(ok, "EVP_Digest failed")
  }

  /// Returns the digest of `data`.
  public static func hash(_ algorithm: Algorithm, _ data: UnsafeRawBufferPointer) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: algorithm.size)
    out.withUnsafeMutableBytes { hash(algorithm, data, into: $0) }
    return out
  }

  /// Returns the digest of the bytes of `data`.
  public static func hash<C: Collection>(_ algorithm: Algorithm, _ data: C) -> [UInt8] where C.Element == UInt8 {
    if let digest = data.withContiguousStorageIfAvailable({ hash(algorithm, UnsafeRawBufferPointer($0)) }) {
      return digest
    }
    return Array(data).withUnsafeBytes { hash(algorithm, $0) }
  }

  /// MD5 of `data` (16 bytes).
  public static func md5<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 { hash(.md5, data) }
  /// SHA-1 of `data` (20 bytes).
  public static func sha1<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 { hash(.sha1, data) }
  /// SHA-256 of `data` (32 bytes).
  public static func sha256<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 { hash(.sha256, data) }
  /// SHA-384 of `data` (48 bytes).
  public static func sha384<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 { hash(.sha384, data) }
  /// SHA-512 of `data` (64 bytes).
  public static func sha512<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 { hash(.sha512, data) }
}

/// HMAC (RFC 2104) over OpenSSL's one-shot `EVP_Q_mac`.
public enum HMAC {
  /// HMAC-SHA-256 of `data` under `key` (32 bytes): SigV4's signing primitive.
  public static func sha256(key: [UInt8], data: [UInt8]) -> [UInt8] { mac(.sha256, key: key, data: data) }

  /// HMAC of `data` under `key` with `algorithm`.
  public static func mac(_ algorithm: Digest.Algorithm, key: [UInt8], data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: algorithm.size)
    var length = 0
    // One spare byte keeps every pointer non-null for an empty key or message.
    let k = key + [0]
    let d = data + [0]
    let result = out.withUnsafeMutableBufferPointer { o in
      EVP_Q_mac(nil, "HMAC", nil, algorithm.name, nil, k, key.count, d, data.count, o.baseAddress, o.count, &length)
    }
    precondition(result != nil && length == algorithm.size, "HMAC failed")
    return out
  }
}

extension Digest.Algorithm {
  /// OpenSSL's name for the digest.
  var name: String {
    switch self {
    case .md5: return "MD5"
    case .sha1: return "SHA1"
    case .sha256: return "SHA256"
    case .sha384: return "SHA384"
    case .sha512: return "SHA512"
    }
  }
}
