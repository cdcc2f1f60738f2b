import Cloud
import KeyholdCore
import KeyholdSystem
import Vault

/// Runs a use case from a synchronous command body, turning the errors the use-case library throws (its own, the
/// vault's and the cloud's) into ``CLIError``s with hints and exit statuses.
func runUseCase<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
  do {
    return try blocking(body)
  } catch let e as KeyholdError {
    throw CLIError(e.message, hint: e.hint, exitCode: e.status)
  } catch let e as VaultError {
    throw cliError(e)
  } catch let e as CloudError {
    throw CLIError(e.description, hint: cloudHint(e), exitCode: e.kind == "duplicate" || e.kind == "not-found" ? 1 : 2)
  }
}

/// The same for a synchronous use case.
func withUseCaseErrors<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let e as KeyholdError {
    throw CLIError(e.message, hint: e.hint, exitCode: e.status)
  } catch let e as VaultError {
    throw cliError(e)
  }
}
