import Dispatch
import Testing
@testable import ShiftOps

/// The package's lock, taken from many threads at once. Under ThreadSanitizer (CI runs the suite
/// under it) this is also the check that the sanitizer sees the lock: with `Synchronization`'s
/// `Mutex` in its place, the same updates are reported as a race.
struct LockedTests {
    @Test func updatesFromConcurrentThreadsAreNeverLost() {
        let total = Locked(0)
        let log = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for _ in 0..<200_000 { total.withLock { $0 += 1 } }
            log.withLock { $0.append(worker) }
        }
        #expect(total.withLock { $0 } == 8 * 200_000)
        #expect(log.withLock { $0.sorted() } == Array(0..<8))
    }

    @Test func aThrowingBodyReleasesTheLock() throws {
        struct Stop: Error {}
        let value = Locked("unchanged")
        #expect(throws: Stop.self) { try value.withLock { (_: inout String) throws(Stop) -> Void in throw Stop() } }
        // Taken from another thread, with a time limit: had the throw left the mutex held, this
        // thread would wait forever and the test would hang rather than fail.
        let taken = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = value.withLock { $0 }
            taken.signal()
        }
        try #require(taken.wait(timeout: .now() + 10) == .success, "the lock is still held after a throw")
        #expect(value.withLock { $0 } == "unchanged")
    }
}
