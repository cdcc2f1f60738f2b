import SSHKeys
import SSHWire

/// One key in the agent: its listed blob (a public key or a certificate), the private key that signs for it, and
/// the constraints it was added with. A value; re-adding a key replaces the whole value.
struct KeyIdentity: Sendable {
  /// What the agent lists and clients name in requests: the public key blob, or the certificate blob.
  let blob: [UInt8]
  /// The comment.
  let comment: String
  /// The key that signs, parsed once (no per-sign re-parsing).
  let key: PrivateKey
  /// Monotonic second at which the key is forgotten; nil: never.
  let expiry: UInt64?
  /// Ask the user before each use (SSH_AGENT_CONSTRAIN_CONFIRM).
  let confirm: Bool
  /// Destination restrictions (PROTOCOL.agent §2); empty: none.
  let destinations: [DestinationConstraint]
  /// True when listings leave the key out (`--hide-orphaned`).
  let hidden: Bool

  init(
    blob: [UInt8], comment: String, key: PrivateKey, expiry: UInt64? = nil, confirm: Bool = false,
    destinations: [DestinationConstraint] = [], hidden: Bool = false
  ) {
    self.blob = blob
    self.comment = comment
    self.key = key
    self.expiry = expiry
    self.confirm = confirm
    self.destinations = destinations
    self.hidden = hidden
  }

  /// The entry a listing shows for this key.
  var listed: AgentIdentity { AgentIdentity(keyBlob: blob, comment: comment) }
}
