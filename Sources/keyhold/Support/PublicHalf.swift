import ArgumentParser
import Vault

/// `--verify`: read the vault's public half authenticated by the seal (keyhold-vault(5), "AUTHENTICATION").
///
/// Without the passphrase nothing in the public half is authenticated: its checksum is unkeyed, so whoever can write
/// the file can replace a public key. Commands that hand a public key out for others to trust say so unless it was
/// verified.
struct VerifyOptions: ParsableArguments {
  @Flag(help: "Check the public half against the seal first (asks for the vault passphrase).")
  var verify = false

  /// The public half: authenticated when `--verify` is given, else as stored.
  func read(_ vault: VaultOptions) throws -> (view: VaultPublicView, verified: Bool) {
    let store = try vault.store()
    guard verify else { return (try withVaultErrors { try store.readPublic() }, false) }
    let peek = try withVaultErrors { try store.readPublic() }
    let passphrase = try vault.readPassphrase()
    let view = try KDFProgress.run(peek.kdf) {
      try withVaultErrors { try store.readPublicVerified(passphrase: passphrase) }
    }
    return (view, true)
  }
}

/// The stderr line for a public key handed out unverified.
func unverifiedNote(_ what: String) {
  printError(
    "keyhold: note: \(what) comes from the vault's public half, which is not authenticated without the passphrase; "
      + "--verify checks it against the seal")
}

/// Runs `body`, which derives the vault key from a passphrase, with ``KDFProgress``'s line on a terminal when the
/// vault's KDF is slow enough to announce.
func withKDFProgress<T>(_ store: VaultStore, _ body: () throws -> T) throws -> T {
  guard let kdf = try? store.readPublic().kdf else { return try body() }
  return try KDFProgress.run(kdf, body)
}
