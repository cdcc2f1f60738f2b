/// Why no endpoint or credentials could be worked out from the user's configuration.
public enum CloudConfigError: Error, Equatable, Sendable, CustomStringConvertible {
  /// An endpoint URL that is not `http(s)://host[:port][/path]`.
  case invalidURL(String)
  /// A named AWS profile is in neither `~/.aws/config` nor `~/.aws/credentials`.
  case profileNotFound(String)
  /// A profile gets its keys from a source keyhold does not run (SSO, assume-role, credential_process).
  case unsupportedCredentialSource(profile: String, setting: String)
  /// No access key and secret key anywhere.
  case noCredentials
  /// A region is needed and none is configured.
  case noRegion
  /// A euca2ools region or user section is missing or incomplete.
  case eucaConfig(String)
  /// An access key id without its secret key (botocore's `PartialCredentialsError`): `source` says where the
  /// id was found, `missing` names the setting that is absent.
  case partialCredentials(source: String, missing: String)
  /// A region name that is not a valid host label (botocore's `InvalidRegionError`), often an inline comment the
  /// aws cli does not strip (`region = eu-west-1  # work`).
  case invalidRegion(String)

  /// A lowercase one-line description.
  public var description: String {
    switch self {
    case .invalidURL(let u): return "invalid endpoint url '\(u)'"
    case .profileNotFound(let p): return "profile '\(p)' is not in ~/.aws/config or ~/.aws/credentials"
    case .unsupportedCredentialSource(let p, let s):
      return "profile '\(p)' gets its keys through '\(s)', which keyhold does not run"
    case .noCredentials: return "no cloud credentials found"
    case .noRegion: return "no region configured"
    case .eucaConfig(let m): return "euca2ools configuration: \(m)"
    case .partialCredentials(let source, let missing):
      return "partial credentials in \(source): \(missing) is missing"
    case .invalidRegion(let r): return "invalid region name '\(r)'"
    }
  }

  /// A guess at the fix, for the CLI's hint line.
  public var hint: String? {
    switch self {
    case .noCredentials:
      return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use --profile, or configure euca2ools (~/.euca/*.ini)"
    case .noRegion: return "pass --region, set AWS_REGION, or add 'region = ...' to the profile in ~/.aws/config"
    case .partialCredentials(_, let missing): return "set \(missing) as well, or unset the access key id"
    case .invalidRegion:
      return "the aws cli keeps '#' and ';' after a value: put comments on a line of their own"
    case .unsupportedCredentialSource:
      return "export static keys, e.g. eval \"$(aws configure export-credentials --format env)\""
    case .profileNotFound: return "list profiles with: aws configure list-profiles"
    default: return nil
    }
  }
}
