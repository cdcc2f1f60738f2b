import ArgumentParser
import Vault

/// The `--kdf` value of `init` and `passwd`. `min` is accepted for tests but not listed in the help: it protects
/// nothing.
struct KDFChoice: ExpressibleByArgument {
  var profile: VaultKDFProfile

  init(_ profile: VaultKDFProfile) { self.profile = profile }

  init?(argument: String) {
    guard let p = VaultKDFProfile(rawValue: argument) else { return nil }
    profile = p
  }

  static var allValueStrings: [String] { ["interactive", "moderate", "sensitive"] }
  var defaultValueDescription: String { profile.rawValue }
}

extension KDFChoice {
  /// Shells complete the strengths by name.
  static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
