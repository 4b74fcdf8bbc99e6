import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads the CPU kernels may use.
///
/// The limit is task-local, so a test or a benchmark can pin it for one scope without touching
/// other callers: `try Parallelism.$threadLimit.withValue(1) { try shift2d(x, shifts: s) }`.
/// Results never depend on it: parallel loops write disjoint outputs and the shift gradient is
/// reduced in a fixed order.
public enum Parallelism {
    /// The number of online processors.
    public static let processorCount = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// The most threads a kernel uses; values below 1 count as 1.
    @TaskLocal public static var threadLimit: Int = processorCount
}

/// A pointer that may cross into `concurrentPerform`'s closure. Safe because every task writes a
/// disjoint part of what it points to.
@usableFromInline
struct SendablePointer<Pointee>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Pointee>
    @inlinable init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }
}

/// Calls `body` on contiguous sub-ranges that cover `0..<count`, on up to
/// `Parallelism.threadLimit` threads. `grain` is the least work worth a task of its own.
@inlinable
func parallelChunks(count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = Swift.max(1, Swift.min(Parallelism.threadLimit, count / Swift.max(grain, 1)))
    if threads == 1 {
        body(0..<count)
        return
    }
    // A few chunks per thread balance uneven rows without much scheduling cost.
    let chunks = Swift.min(count, threads * 4)
    withoutActuallyEscaping(body) { body in
        let task = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var chunk = t
            while chunk < chunks {
                task.value(count * chunk / chunks ..< count * (chunk + 1) / chunks)
                chunk += threads
            }
        }
    }
}

@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @inlinable init(_ value: Value) { self.value = value }
}
