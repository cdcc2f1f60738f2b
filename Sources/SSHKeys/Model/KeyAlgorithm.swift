/// The key algorithms keyhold holds, named as on the SSH wire.
public enum KeyAlgorithm: String, Sendable, CaseIterable, Codable {
  case ed25519 = "ssh-ed25519"
  case ecdsaP256 = "ecdsa-sha2-nistp256"
  case ecdsaP384 = "ecdsa-sha2-nistp384"
  case ecdsaP521 = "ecdsa-sha2-nistp521"
  case rsa = "ssh-rsa"
}
