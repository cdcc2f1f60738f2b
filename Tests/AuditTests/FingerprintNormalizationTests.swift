import Audit
import Testing

/// The one rule by which a fingerprint a user typed, a cloud tool printed or a cloud listed is compared with the
/// ones keyhold computed (audit, `import` of cloud-tool output, `fingerprint`, `create`): surrounding white space
/// and an `MD5:`, `SHA1:` or `SHA256:` prefix dropped; a string of only hex digits and colons lowercased; anything
/// else (base64) kept exactly, since base64 is case-sensitive.
@Test(
  arguments: [
    ("MD5:AA:BB:CC", "aa:bb:cc"),
    ("  aa:BB:cc\n", "aa:bb:cc"),
    ("SHA1:0A1B2C", "0a1b2c"),
    ("0A1B2C3D", "0a1b2c3d"),
    ("SHA256:AbC+/dEf", "AbC+/dEf"),
    ("AbC+/dEf=", "AbC+/dEf="),
    ("\tSHA256:AbCx\t", "AbCx"),
    // Only hex digits and colons after the prefix is hex, whatever the prefix said.
    ("SHA256:AbCd", "abcd"),
    ("sha256:AbCd", "sha256:AbCd"),
    ("", ""),
  ])
func aFingerprintIsNormalisedByOneRule(given: String, normalised: String) {
  #expect(Reconciler.normalize(given) == normalised)
}

@Test func fingerprintsDifferingOnlyInFormAreEqualAndBase64InCaseIsNot() {
  #expect(Reconciler.normalize("MD5:AA:BB") == Reconciler.normalize("aa:bb"))
  #expect(Reconciler.normalize("SHA256:abc") == Reconciler.normalize("abc"))
  #expect(Reconciler.normalize("SHA256:AbX") != Reconciler.normalize("abx"))
}
