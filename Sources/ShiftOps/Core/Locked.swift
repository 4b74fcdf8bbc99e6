#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value that one thread at a time may read or change, guarded by a pthread mutex.
///
/// `Synchronization`'s `Mutex` would serve, but on Linux it waits on a futex that
/// ThreadSanitizer does not intercept: two threads taking the same `Mutex` look unordered to it,
/// and it reports the guarded value as raced. A pthread mutex is one ThreadSanitizer knows, so
/// the package's CI can run under it with every lock the library takes.
package final class Locked<Value: ~Copyable>: @unchecked Sendable {
    // Allocated rather than stored, because a pthread mutex must not move once initialised.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    package init(_ value: consuming Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed with \(status)")
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the value while holding the lock, and returns what it returns.
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
