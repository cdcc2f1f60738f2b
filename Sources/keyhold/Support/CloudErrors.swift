import Cloud

/// Runs `body`, turning a ``CloudError`` into a ``CLIError`` with a hint at the likely fix.
func withCloudErrors<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let e as CloudError {
    throw CLIError(e.description, hint: cloudHint(e), exitCode: e.kind == "duplicate" || e.kind == "not-found" ? 1 : 2)
  }
}

/// A guess at the fix for a cloud error.
func cloudHint(_ e: CloudError) -> String? {
  switch e {
  case .authFailure: return "check the access key and secret key (AWS_ACCESS_KEY_ID, --profile, euca2ools user)"
  case .network, .timeout: return "check the endpoint URL and that it is reachable (--endpoint, AWS_ENDPOINT_URL)"
  case .keyPairDuplicate: return "the cloud already has a key pair with that name; pick another with --key-name"
  case .keyPairNotFound: return "`keyhold audit --refresh` shows which key pairs the cloud has"
  case .unauthorizedOperation: return "the credentials may not make this call; check the IAM policy"
  case .throttled: return "the cloud is throttling requests; try again in a minute"
  default: return nil
  }
}
