import Foundation
import KeyholdCrypto
import Testing

@testable import SSHKeys

/// The OpenSSL secure heap: RSA and ECDSA private numbers move into it once it is enabled.
struct SecureMemoryTests {
  /// Reading the heap's usage before it existed made OpenSSL 3.0 lock a NULL rwlock and crashed the process (key
  /// generation checks for room first). Run alone (`--filter heapStatusBeforeEnabling`) this meets the heap
  /// not yet set up; in a full run another test may have enabled it, and the checks still hold.
  @Test func heapStatusBeforeEnablingDoesNotCrash() throws {
    let status = OpenSSLSecureHeap.status
    if !status.enabled { #expect(status.used == 0 && status.size == 0) }
    let key = try PrivateKey.generate(.ecdsaP256)
    #expect(key.algorithm == .ecdsaP256)
  }

  @Test func enablingTheSecureHeapPutsRSAPrivateNumbersInIt() throws {
    let status = OpenSSLSecureHeap.enable()
    #expect(status.enabled)
    #expect(status.size == OpenSSLSecureHeap.defaultSize)
    // A second call changes nothing and reports the same arena.
    #expect(OpenSSLSecureHeap.enable(size: 4096).size == status.size)

    // Other tests may load keys concurrently, so compare against a key held here and released here: while it is
    // alive the arena holds at least its private numbers (d, p, q, dP, dQ, qInv of a 2048-bit key: over 640 bytes).
    let path = KeyTestSupport.repoRoot.appendingPathComponent("testdata/keys/openssl-rsa2048-pkcs1.pem").path
    let file = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    var key: PrivateKey? = try KeyFile.parse(file, passphrase: nil as SecureBytes?).privateKey
    #expect(OpenSSLSecureHeap.status.used >= 640)
    let signature = try #require(key).sign(Array("data".utf8), flags: .rsaSHA256)
    #expect(signature.count == 4 + 12 + 4 + 256)
    key = nil
    #expect(OpenSSLSecureHeap.status.enabled)
  }

  /// EC keys are built with EVP_PKEY_fromdata, which in OpenSSL 3.0 copies the scalar into a secure BIGNUM.
  @Test func ecdsaPrivateScalarsLandInTheSecureHeap() throws {
    OpenSSLSecureHeap.enable()
    let path = KeyTestSupport.repoRoot.appendingPathComponent("testdata/keys/openssl-ecdsa521-sec1.pem").path
    let file = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    let key = try #require(try KeyFile.parse(file, passphrase: nil as SecureBytes?).privateKey)
    #expect(OpenSSLSecureHeap.status.used >= 66)
    _ = try key.sign([1, 2, 3])
  }
}
