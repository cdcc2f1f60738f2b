import COpenSSL

/// Sole owner of an OpenSSL `EVP_PKEY *`, freed on release.
///
/// The key is never modified after creation; OpenSSL allows concurrent signing with one `EVP_PKEY` as long as each
/// operation has its own `EVP_PKEY_CTX`, so the wrapper may be shared across threads.
final class EVPKey: @unchecked Sendable {
  /// The owned pointer.
  let pointer: OpaquePointer

  /// Takes ownership of `pointer`.
  init(owning pointer: OpaquePointer) {
    self.pointer = pointer
  }

  /// Shares `pointer` with its current owner (raises the reference count).
  init(retaining pointer: OpaquePointer) {
    EVP_PKEY_up_ref(pointer)
    self.pointer = pointer
  }

  deinit {
    EVP_PKEY_free(pointer)  // also clears the private material
  }

  /// The modulus or order size in bytes (`EVP_PKEY_get_size`), i.e. the largest signature.
  var maxSignatureSize: Int { Int(EVP_PKEY_get_size(pointer)) }
}
