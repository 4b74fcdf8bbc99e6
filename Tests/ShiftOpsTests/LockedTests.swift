import Testing
@testable import ShiftOps
import ShiftOpsTestSupport

/// The package's lock, taken from several threads at once. CI runs the suite under
/// ThreadSanitizer, which reported `Synchronization`'s `Mutex` taken this way as a race (it does
/// not see the futex under it on Linux); these updates are also its check that it sees this lock.
struct LockedTests {
    @Test func updatesFromConcurrentThreadsAreNeverLost() throws {
        let total = Locked(0)
        let log = Locked<[Int]>([])
        try #require(runOnOwnThreads(4) { thread in
            for _ in 0..<50_000 { total.withLock { $0 += 1 } }
            log.withLock { $0.append(thread) }
        })
        #expect(total.withLock { $0 } == 4 * 50_000)
        #expect(log.withLock { $0.sorted() } == Array(0..<4))
    }

    @Test func aThrowingBodyReleasesTheLock() throws {
        struct Stop: Error {}
        let value = Locked("unchanged")
        #expect(throws: Stop.self) { try value.withLock { (_: inout String) throws(Stop) -> Void in throw Stop() } }
        // Taken on another thread, with a time limit: had the throw left the mutex held, this
        // thread would wait for good, and the test would hang rather than fail.
        try #require(runOnOwnThreads(1, timeout: 10) { _ in _ = value.withLock { $0 } }, "the lock is still held after a throw")
        #expect(value.withLock { $0 } == "unchanged")
    }
}
