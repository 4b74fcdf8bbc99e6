import Foundation

/// Runs `body(k)` for each `k` in `0..<count`, each on a thread started for it, and waits for them
/// all, at most `timeout` seconds.
///
/// `DispatchQueue.concurrentPerform`, called from a test while other tests hold the pool's
/// threads, may run its iterations one after another; a test of what happens when threads meet
/// needs them running at once.
///
/// - Returns: whether every thread finished in time. One still running is left to run (it may be
///   blocked for good), so that a deadlock fails the test instead of hanging the run.
public func runOnOwnThreads(_ count: Int, timeout seconds: Double = 60, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
    let finished = DispatchGroup()
    for k in 0..<count {
        finished.enter()
        Thread {
            defer { finished.leave() }
            body(k)
        }.start()
    }
    return finished.wait(timeout: .now() + seconds) == .success
}
