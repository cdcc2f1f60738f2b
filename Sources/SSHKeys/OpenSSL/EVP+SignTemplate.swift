import COpenSSL
import KeyholdCrypto
import Synchronization

extension EVP {
  /// A signing context prepared once per key (and, for RSA, per hash) and copied for each signature.
  ///
  /// `EVP_PKEY_sign_init` fetches the provider's signature implementation and, for RSA, setting the digest looks
  /// it up by name; doing that once and duplicating the ready context per call keeps the per-signature cost at the
  /// arithmetic. The template itself is never used to sign, only read by `EVP_PKEY_CTX_dup`, so concurrent callers
  /// each work on their own copy.
  final class SignTemplate: @unchecked Sendable {
    private let template: OpaquePointer
    /// Ready copies of the template, reused across signatures (a context may sign again and again, but by one
    /// caller at a time); at most ``poolLimit`` are kept.
    private let pool = Mutex<[Context]>([])
    private static let poolLimit = 16

    /// Prepares raw (pre-hashed) ECDSA signing, or RSA PKCS#1 v1.5 signing with `rsaDigest` in the DigestInfo.
    init(key: EVPKey, rsaDigest: Digest.Algorithm? = nil) throws(KeyError) {
      guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil) else { throw EVP.failure("signing context") }
      guard EVP_PKEY_sign_init(ctx) == 1 else {
        EVP_PKEY_CTX_free(ctx)
        throw EVP.failure("EVP_PKEY_sign_init")
      }
      if let rsaDigest {
        guard EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1,
          EVP_PKEY_CTX_set_signature_md(ctx, rsaDigest.evpMD) == 1
        else {
          EVP_PKEY_CTX_free(ctx)
          throw EVP.failure("rsa signature parameters")
        }
      }
      template = ctx
    }

    /// An `EVP_PKEY_CTX *` owned by the pool while it sits there.
    private struct Context: @unchecked Sendable {
      let pointer: OpaquePointer
    }

    deinit {
      EVP_PKEY_CTX_free(template)
      pool.withLock { for ctx in $0 { EVP_PKEY_CTX_free(ctx.pointer) } }
    }

    /// Signs a digest into `out`; returns the signature length.
    func sign(digest: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(KeyError) -> Int {
      let pooled = pool.withLock { $0.popLast() }?.pointer
      guard let ctx = pooled ?? EVP_PKEY_CTX_dup(template) else { throw EVP.failure("EVP_PKEY_CTX_dup") }
      defer {
        let done = Context(pointer: ctx)
        let kept = pool.withLock { contexts in
          guard contexts.count < SignTemplate.poolLimit else { return false }
          contexts.append(done)
          return true
        }
        if !kept { EVP_PKEY_CTX_free(ctx) }
      }
      var length = out.count
      guard
        EVP_PKEY_sign(
          ctx, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
          digest.baseAddress?.assumingMemoryBound(to: UInt8.self), digest.count) == 1
      else { throw EVP.failure("EVP_PKEY_sign") }
      return length
    }
  }

  /// Finds r and s in a DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 §2.2.3): returns the
  /// byte ranges of their magnitudes (leading zeros skipped) inside `der`. Only OpenSSL's own output is parsed here,
  /// but the parser is still total.
  static func ecdsaValueRanges(der bytes: UnsafeRawBufferPointer) throws(KeyError) -> (r: Range<Int>, s: Range<Int>) {
    let der = Array(bytes)
    var outer = DERReader(der)
    guard let value = outer.next(), value.tag == DERReader.sequence, outer.remaining.isEmpty else {
      throw .signingFailed("ECDSA signature is not one DER SEQUENCE")
    }
    var fields = DERReader(value.content)
    guard let r = fields.next(), r.tag == DERReader.integer, let s = fields.next(), s.tag == DERReader.integer,
      fields.remaining.isEmpty
    else { throw .signingFailed("ECDSA signature is not two INTEGERs") }
    // Slices keep the indices of `der`, which are offsets into `bytes`.
    let rm = r.content.drop(while: { $0 == 0 })
    let sm = s.content.drop(while: { $0 == 0 })
    guard !rm.isEmpty, !sm.isEmpty else { throw .signingFailed("malformed ECDSA signature") }
    return (rm.startIndex..<rm.endIndex, sm.startIndex..<sm.endIndex)
  }
}
