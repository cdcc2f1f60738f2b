import Foundation

/// Runs async work to completion from a synchronous command body.
///
/// The commands are synchronous `ParsableCommand`s (the root command is); the cloud client is async. The work runs
/// on the cooperative pool while this thread waits on a semaphore.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
  let box = BlockingResult<T>()
  let done = DispatchSemaphore(value: 0)
  Task {
    do {
      box.result = .success(try await body())
    } catch {
      box.result = .failure(error)
    }
    done.signal()
  }
  done.wait()
  return try box.result!.get()
}

private final class BlockingResult<T>: @unchecked Sendable {
  var result: Result<T, any Error>?
}
