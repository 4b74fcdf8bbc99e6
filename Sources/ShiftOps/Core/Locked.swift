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
///
/// Give it a value of nonzero size, not `()`: ThreadSanitizer reports a `Locked(())` taken from
/// two threads as a race. (The access to the empty value is reported at the object's start,
/// which every call reads, outside the lock, for the object's type.)
package final class Locked<Value: ~Copyable>: @unchecked Sendable {
    // Allocated rather than stored, because a pthread mutex must not move once initialised.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// A lock guarding `value`, which from now on is reached only through ``withLock(_:)``.
    package init(_ value: consuming sending Value) {
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

    /// Runs `body` on the value while holding the lock, and returns what it returns. `sending`,
    /// as in `Mutex`: neither the value nor the result can leave with a reference another thread
    /// still holds. Not reentrant: `body` must not take the same lock.
    package func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        // A failure here (an uninitialised mutex, a relock that Darwin reports rather than
        // deadlocking on) would otherwise run `body` unguarded.
        let locked = pthread_mutex_lock(mutex)
        precondition(locked == 0, "pthread_mutex_lock failed with \(locked)")
        defer {
            let unlocked = pthread_mutex_unlock(mutex)
            precondition(unlocked == 0, "pthread_mutex_unlock failed with \(unlocked)")
        }
        return try body(&value)
    }
}
