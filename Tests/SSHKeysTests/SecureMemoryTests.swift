import Foundation
import Testing

@testable import SSHKeys

/// The OpenSSL secure heap: RSA and ECDSA private numbers move into it once it is enabled.
struct SecureMemoryTests {
  /// Reading the heap's usage before it existed made OpenSSL 3.0 lock a NULL rwlock and crashed the process (key
  /// generation checks for room first). Run alone (`--filter heapStatusBeforeEnabling`) this meets the heap
  /// not yet set up; in a full run another test may have enabled it, and the checks still hold.
  @Test func heapStatusBeforeEnablingDoesNotCrash() throws {
    let status = SecureMemory.openSSLHeap
    if !status.enabled { #expect(status.used == 0 && status.size == 0) }
    let key = try PrivateKey.generate(.ecdsaP256)
    #expect(key.algorithm == .ecdsaP256)
  }

  @Test func enablingTheSecureHeapPutsRSAPrivateNumbersInIt() throws {
    let status = SecureMemory.enableOpenSSLSecureHeap()
    #expect(status.enabled)
    #expect(status.size == SecureMemory.defaultOpenSSLHeapSize)
    // A second call changes nothing and reports the same arena.
    #expect(SecureMemory.enableOpenSSLSecureHeap(size: 4096).size == status.size)

    // Other tests may load keys concurrently, so compare against a key held here and released here: while it is
    // alive the arena holds at least its private numbers (d, p, q, dP, dQ, qInv of a 2048-bit key: over 640 bytes).
    let path = KeyTestSupport.repoRoot.appendingPathComponent("testdata/keys/openssl-rsa2048-pkcs1.pem").path
    let file = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    var key: PrivateKey? = try KeyFile.parse(file, passphrase: nil as SecureBytes?).privateKey
    #expect(SecureMemory.openSSLHeap.used >= 640)
    let signature = try #require(key).sign(Array("data".utf8), flags: .rsaSHA256)
    #expect(signature.count == 4 + 12 + 4 + 256)
    key = nil
    #expect(SecureMemory.openSSLHeap.enabled)
  }

  /// EC keys are built with EVP_PKEY_fromdata, which in OpenSSL 3.0 copies the scalar into a secure BIGNUM.
  @Test func ecdsaPrivateScalarsLandInTheSecureHeap() throws {
    SecureMemory.enableOpenSSLSecureHeap()
    let path = KeyTestSupport.repoRoot.appendingPathComponent("testdata/keys/openssl-ecdsa521-sec1.pem").path
    let file = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    let key = try #require(try KeyFile.parse(file, passphrase: nil as SecureBytes?).privateKey)
    #expect(SecureMemory.openSSLHeap.used >= 66)
    _ = try key.sign([1, 2, 3])
  }

  @Test func aFullSecureHeapRefusesNewKeysWithAClearError() {
    let full = SecureMemory.OpenSSLHeapStatus(enabled: true, locked: true, size: 1 << 20, used: (1 << 20) - 1024)
    #expect(!SecureMemory.hasRoom(full, for: SecureMemory.keyHeadroom))
    let roomy = SecureMemory.OpenSSLHeapStatus(enabled: true, locked: false, size: 1 << 20, used: 4096)
    #expect(SecureMemory.hasRoom(roomy, for: SecureMemory.keyHeadroom))
    let off = SecureMemory.OpenSSLHeapStatus(enabled: false, locked: false, size: 0, used: 0)
    #expect(SecureMemory.hasRoom(off, for: SecureMemory.keyHeadroom))
  }
}
