import KeyholdCrypto
import SSHKeys

// The two seals of keyhold-vault(5): the data key under the Argon2id key, and the private half under the data key.

extension VaultFile {
  /// Size of the random data key.
  static let dataKeySize = 32

  /// A new vault with no keys, a fresh data key and salt; returns the file and its data key.
  static func create(passphrase: SecureBytes, kdf parameters: Sodium.KDFParameters) throws(VaultError)
    -> (VaultFile, SecureBytes)
  {
    let dataKey = Sodium.randomSecret(dataKeySize)
    var file = VaultFile(
      kdf: .random(parameters), wrapNonce: [], wrappedKey: [], entries: [], status: VaultStatus(), sealedNonce: [],
      sealedPrivate: [])
    try file.wrap(dataKey: dataKey, under: try file.kdf.deriveKey(passphrase))
    try file.seal([], dataKey: dataKey)
    return (file, dataKey)
  }

  /// Seals `dataKey` under `passphraseKey` (derived with ``kdf``) with a fresh nonce.
  mutating func wrap(dataKey: SecureBytes, under passphraseKey: SecureBytes) throws(VaultError) {
    let nonce = Sodium.randomBytes(Sodium.aeadNonceBytes)
    do {
      wrappedKey = try dataKey.withUnsafeBytes { plain throws(Sodium.Failure) in
        try Sodium.seal(plain, key: passphraseKey, nonce: nonce, associatedData: wrapAssociatedData)
      }
    } catch {
      throw .key("cannot seal the data key: \(error)")
    }
    wrapNonce = nonce
  }

  /// Opens the data key with the key derived from the passphrase; a failure means a wrong passphrase.
  func unwrapDataKey(with passphraseKey: SecureBytes) throws(VaultError) -> SecureBytes {
    do {
      let key = try Sodium.open(
        wrappedKey, key: passphraseKey, nonce: wrapNonce, associatedData: wrapAssociatedData)
      guard key.count == Self.dataKeySize else { throw VaultError.malformed("data key is not 32 bytes") }
      return key
    } catch let e as VaultError {
      throw e
    } catch Sodium.Failure.outOfSecureMemory {
      throw .outOfSecureMemory
    } catch {
      throw .wrongPassphrase
    }
  }

  /// The entry ids the private half holds, in its order: the active entries, then the retired ones.
  var sealedIDs: [VaultEntryID] { entries.map(\.id) + retired.map(\.entry.id) }

  /// Seals `secrets` (one per entry, then one per retired entry, same order) under `dataKey` with a fresh nonce,
  /// binding the public section.
  mutating func seal(_ secrets: [VaultSecret], dataKey: SecureBytes) throws(VaultError) {
    precondition(secrets.map(\.id) == sealedIDs, "the private half must follow the public entries")
    let plain = try VaultSecrets.encode(secrets)
    let nonce = Sodium.randomBytes(Sodium.aeadNonceBytes)
    let ad = sealAssociatedData
    do {
      sealedPrivate = try plain.withUnsafeBytes { p throws(Sodium.Failure) in
        try Sodium.seal(p, key: dataKey, nonce: nonce, associatedData: ad)
      }
    } catch {
      throw .key("cannot seal the private half: \(error)")
    }
    sealedNonce = nonce
  }

  /// Opens the private half (active entries' keys, then retired entries'); a failure with an intact checksum means
  /// the file was deliberately altered.
  func openPrivate(dataKey: SecureBytes) throws(VaultError) -> [VaultSecret] {
    let plain: SecureBytes
    do {
      plain = try Sodium.open(
        sealedPrivate, key: dataKey, nonce: sealedNonce, associatedData: sealAssociatedData)
    } catch .outOfSecureMemory {
      throw .outOfSecureMemory
    } catch {
      throw .tampered
    }
    let secrets = try VaultSecrets.decode(plain)
    guard secrets.map(\.id) == sealedIDs else {
      throw .malformed("private half does not match the public entries")
    }
    return secrets
  }
}
