import SSHKeys
import SSHWire

/// What signs for an identity: a private key the agent holds, or a key a loaded PKCS #11 provider holds on its token
/// (ssh-add -s), which signs through the provider's helper process.
enum SigningKey: Sendable {
  /// A private key in the agent's memory.
  case privateKey(PrivateKey)
  /// A token key of `provider`. Boxed, so the enum (in every ``KeyIdentity``) is one pointer wide rather than a
  /// public key and a comment wide: token keys are few, a vault's keys many.
  indirect case pkcs11(PKCS11Provider, PKCS11Key)

  /// The plain public key (no certificate), for fingerprints in prompts and logs.
  var publicKey: PublicKey {
    switch self {
    case .privateKey(let key): return key.plainPublicKey
    case .pkcs11(_, let key): return key.publicKey
    }
  }

  /// The provider behind a token key; nil for a private key.
  var provider: PKCS11Provider? {
    if case .pkcs11(let provider, _) = self { return provider }
    return nil
  }

  /// Signs `data` as an agent sign request with `flags` (PROTOCOL.agent); returns the SSH signature blob.
  func sign(_ data: [UInt8], flags: UInt32) throws(AgentFailure) -> [UInt8] {
    switch self {
    case .privateKey(let key):
      do { return try key.sign(data, flags: SignFlags(rawValue: flags)) } catch { throw .badKey(error) }
    case .pkcs11(let provider, let key):
      do { return try provider.sign(blob: key.blob, data: data, flags: flags) } catch { throw .pkcs11(error) }
    }
  }
}

/// One key in the agent: its listed blob (a public key or a certificate), the key that signs for it, and the
/// constraints it was added with. A value; re-adding a key replaces the whole value.
struct KeyIdentity: Sendable {
  /// What the agent lists and clients name in requests: the public key blob, or the certificate blob.
  let blob: [UInt8]
  /// The comment.
  let comment: String
  /// The key that signs, parsed once (no per-sign re-parsing).
  let key: SigningKey
  /// The plain key's `SHA256:` fingerprint (a certificate's is its key's), the name the host index knows it by
  /// (``HostKeyIndex``). Taken once, when the key enters the agent, so no listing hashes a key.
  let fingerprint: String
  /// Destination restrictions (PROTOCOL.agent §2); empty: none.
  let destinations: [DestinationConstraint]
  // The one-byte fields last: declared in this order the stored size is 67 bytes (72 a slot in the keyring's
  // array), 8 fewer than with the flags between the words (`keyhold-bench scale`).
  /// Monotonic second at which the key is forgotten; nil: never.
  let expiry: UInt64?
  /// Ask the user before each use (SSH_AGENT_CONSTRAIN_CONFIRM).
  let confirm: Bool
  /// True when listings leave the key out (`--hide-orphaned`).
  let hidden: Bool

  init(
    blob: [UInt8], comment: String, key: PrivateKey, expiry: UInt64? = nil, confirm: Bool = false,
    destinations: [DestinationConstraint] = [], hidden: Bool = false, fingerprint: String? = nil
  ) {
    self.init(
      blob: blob, comment: comment, key: .privateKey(key), expiry: expiry, confirm: confirm,
      destinations: destinations, hidden: hidden, fingerprint: fingerprint)
  }

  /// `fingerprint`, when given, is the one already taken for the same key (a vault key renamed or re-hidden).
  init(
    blob: [UInt8], comment: String, key: SigningKey, expiry: UInt64? = nil, confirm: Bool = false,
    destinations: [DestinationConstraint] = [], hidden: Bool = false, fingerprint: String? = nil
  ) {
    self.blob = blob
    self.comment = comment
    self.key = key
    self.expiry = expiry
    self.confirm = confirm
    self.destinations = destinations
    self.hidden = hidden
    self.fingerprint = fingerprint ?? key.publicKey.sha256Fingerprint
  }

  /// The entry a listing shows for this key.
  var listed: AgentIdentity { AgentIdentity(keyBlob: blob, comment: comment) }
}
