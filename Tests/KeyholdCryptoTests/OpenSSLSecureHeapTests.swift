import Testing

@testable import KeyholdCrypto

/// The OpenSSL secure-heap switch itself; that keys land in it is pinned in SSHKeysTests.
struct OpenSSLSecureHeapTests {
  @Test func aFullSecureHeapHasNoRoomForANewKey() {
    let full = OpenSSLSecureHeap.Status(enabled: true, locked: true, size: 1 << 20, used: (1 << 20) - 1024)
    #expect(!OpenSSLSecureHeap.hasRoom(full, for: OpenSSLSecureHeap.keyHeadroom))
    let roomy = OpenSSLSecureHeap.Status(enabled: true, locked: false, size: 1 << 20, used: 4096)
    #expect(OpenSSLSecureHeap.hasRoom(roomy, for: OpenSSLSecureHeap.keyHeadroom))
    let off = OpenSSLSecureHeap.Status(enabled: false, locked: false, size: 0, used: 0)
    #expect(OpenSSLSecureHeap.hasRoom(off, for: OpenSSLSecureHeap.keyHeadroom))
  }

  @Test func enablingRoundsTheArenaUpAndASecondCallChangesNothing() {
    let status = OpenSSLSecureHeap.enable()
    #expect(status.enabled)
    #expect(status.size == OpenSSLSecureHeap.defaultSize)
    #expect(OpenSSLSecureHeap.enable(size: 4096) == OpenSSLSecureHeap.status)
    #expect(OpenSSLSecureHeap.status.size == status.size)
    #expect(OpenSSLSecureHeap.hasRoom())
  }

  @Test func enablingWithTheDefaultSizeReportsAnEnabledHeapOfThatSize() {
    let status = OpenSSLSecureHeap.enable()
    #expect(status.size == OpenSSLSecureHeap.defaultSize)
    #expect(OpenSSLSecureHeap.status.enabled)
  }
}
