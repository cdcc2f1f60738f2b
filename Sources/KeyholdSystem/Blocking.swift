import Dispatch

/// Runs async work to completion from synchronous code (a synchronous command body, a benchmark, a test helper).
///
/// The work runs on the cooperative pool while the calling thread waits on a semaphore, so the caller must not be
/// a thread of that pool.
public func blocking<T: Sendable, E: Error>(_ body: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
  let box = BlockingResult<T, E>()
  let done = DispatchSemaphore(value: 0)
  Task {
    do throws(E) {
      box.result = .success(try await body())
    } catch {
      box.result = .failure(error)
    }
    done.signal()
  }
  done.wait()
  return try box.result!.get()
}

/// Carries the result from the task to the waiting thread; the semaphore orders the write before the read.
private final class BlockingResult<T, E: Error>: @unchecked Sendable {
  var result: Result<T, E>?
}
