import AgentServer
import Testing

/// ssh-agent(1) -P semantics: fnmatch(3) patterns over canonical paths, `!` refuses.
@Suite struct PKCS11AllowListTests {
  @Test func defaultPermitsTheSystemAndLocalLibraryFolders() {
    let list = PKCS11AllowList.default
    #expect(list.patterns == ["/usr/lib*/*", "/usr/local/lib*/*"])
    #expect(list.permits(path: "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"))
    #expect(list.permits(path: "/usr/lib64/opensc-pkcs11.so"))
    #expect(list.permits(path: "/usr/local/lib/p11.so"))
    #expect(!list.permits(path: "/tmp/libsofthsm2.so"))
    #expect(!list.permits(path: "/home/u/usr/lib/p.so"))
    #expect(!list.permits(path: "/usr/libexec"))
  }

  @Test func negatedPatternRefusesEvenWhenAnotherPermits() {
    let list = PKCS11AllowList(patterns: "/usr/lib*/*,!/usr/lib/evil/*")
    #expect(list.permits(path: "/usr/lib/good/p.so"))
    #expect(!list.permits(path: "/usr/lib/evil/p.so"))
    #expect(!PKCS11AllowList(patterns: "!/usr/lib/evil/*").permits(path: "/usr/lib/good/p.so"))
  }

  @Test func emptyListPermitsNothing() {
    #expect(PKCS11AllowList(patterns: "").patterns.isEmpty)
    #expect(!PKCS11AllowList(patterns: ",,").permits(path: "/usr/lib/p.so"))
  }

  @Test func questionMarkAndBracketsFollowFnmatch() {
    let list = PKCS11AllowList(patterns: "/opt/p1?/lib[ab].so")
    #expect(list.permits(path: "/opt/p12/liba.so"))
    #expect(!list.permits(path: "/opt/p12/libc.so"))
  }
}
