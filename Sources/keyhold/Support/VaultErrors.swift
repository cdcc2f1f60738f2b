import Vault

/// Runs `body`, turning a ``VaultError`` into a ``CLIError`` with a hint at the likely fix.
func withVaultErrors<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let e as VaultError {
    throw cliError(e)
  }
}

private func hint(for error: VaultError) -> String? {
  switch error {
  case .notFound: return "create one with `keyhold init`, or name an existing one with --vault PATH or KEYHOLD_VAULT"
  case .truncated, .corrupted, .malformed, .tampered:
    return "restore the vault from a backup; keyhold never writes to a damaged vault"
  case .unsupportedVersion: return "this vault was written by a newer keyhold; upgrade keyhold to read it"
  case .busy: return "another keyhold command is changing the vault; try again when it is done"
  case .duplicateName: return "choose another name with --name, or replace the old key with --force"
  case .duplicateKey: return "the key is already stored; use --force to replace the old entry"
  case .noSuchKey: return "`keyhold list` shows the names in the vault"
  case .alreadyExists: return "use `keyhold passwd` to change its passphrase, or --vault PATH for a second vault"
  case .kdfFailed: return "the vault's kdf needs more memory than is available"
  default: return nil
  }
}

/// The CLI error for a vault error, with its hint.
func cliError(_ error: VaultError) -> CLIError { CLIError(error.description, hint: hint(for: error)) }
