import SSHKeys
import SSHWire
import Testing

@testable import AgentServer

/// The open vault's index by position, and the keys an opening builds sharing the public keys' storage.
@Suite struct KeyringVaultIndexTests {
  static func identity(_ comment: String) throws -> KeyIdentity {
    let key = try PrivateKey.generate(.ed25519, comment: comment)
    return KeyIdentity(blob: key.publicKey.blob, comment: comment, key: key)
  }

  @Test func removingAVaultKeyLeavesTheKeysAfterItFoundAsThemselves() throws {
    let ring = Keyring(clock: ManualClock(), hasVault: true, listSealed: false)
    let (a, b, c) = (try Self.identity("a"), try Self.identity("b"), try Self.identity("c"))
    ring.openVault([a, b, c], publics: [], until: nil)
    try ring.remove(b.blob, visible: { _ in true })
    #expect(ring.list(visible: nil).map(\.comment) == ["a", "c"])
    guard case .key(let found) = ring.target(c.blob) else {
      Issue.record("the key after the removed one is not found")
      return
    }
    #expect(found.comment == "c")
    guard case .none = ring.target(b.blob) else {
      Issue.record("the removed vault key is still found")
      return
    }
  }

  @Test func openedKeysTakeHidingAndFingerprintFromThePublicKeys() throws {
    let listed = try PrivateKey.generate(.ed25519, comment: "listed")
    let unlisted = try PrivateKey.generate(.ed25519, comment: "unlisted")
    let publics = [AgentSourceKey(blob: listed.publicKey.blob, comment: "listed", hidden: true)]
    let shared = AgentVault.identities([listed, unlisted], sharing: publics)
    #expect(shared.keys.map(\.hidden) == [true, false])
    #expect(shared.keys[0].fingerprint == listed.plainPublicKey.sha256Fingerprint)
    #expect(shared.keys[1].fingerprint == unlisted.plainPublicKey.sha256Fingerprint)
    #expect(shared.publics == publics)
    #expect(shared.fingerprints == [listed.plainPublicKey.sha256Fingerprint])
  }
}
