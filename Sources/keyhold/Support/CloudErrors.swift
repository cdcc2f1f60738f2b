import Cloud
import KeyholdCore

/// Runs `body`, turning a ``CloudError`` into a ``CLIError`` with a hint at the likely fix.
func withCloudErrors<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let e as CloudError {
    throw CLIError(e.description, hint: cloudHint(e), exitCode: e.kind == "duplicate" || e.kind == "not-found" ? 1 : 2)
  }
}

/// A guess at the fix for a cloud error (the use-case library's, so the CLI and the use cases give one hint).
func cloudHint(_ e: CloudError) -> String? { Sync.hint(for: e) }
