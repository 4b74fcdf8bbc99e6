import Dispatch
import Synchronization
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
/// `Parallelism.threadLimit` threads, recording into the current task's ``ParallelTrace``, if any.
/// `grain` is the least work worth a task of its own.
@inlinable
func parallelChunks(count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    parallelChunks(count: count, grain: grain, trace: ParallelTrace.active, body)
}

/// ``parallelChunks(count:grain:_:)`` recording into `trace`, which the shift kernels take from
/// their ``CPUPlan`` (read once per call, where the plan is made) rather than reading the test
/// knob themselves.
@inlinable
func parallelChunks(count: Int, grain: Int = 1, trace: ParallelTrace?, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = Swift.max(1, Swift.min(Parallelism.threadLimit, count / Swift.max(grain, 1)))
    if threads == 1 {
        body(0..<count)
        trace?.record(ParallelTrace.Run(chunks: 1, workers: 1))
        return
    }
    // A few chunks per thread balance uneven rows without much scheduling cost.
    let chunks = Swift.min(count, threads * 4)
    let tally = trace.map { _ in ParallelTrace.Tally() }
    withoutActuallyEscaping(body) { body in
        let task = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var chunk = t, ran = 0
            while chunk < chunks {
                task.value(count * chunk / chunks ..< count * (chunk + 1) / chunks)
                chunk += threads
                ran += 1
            }
            tally?.add(chunks: ran)
        }
    }
    if let trace, let tally { trace.record(tally.run) }
}

/// What the parallel loops inside one scope actually ran, so that a test can show a kernel used
/// several workers (a count of threads the kernel was allowed proves nothing):
///
/// ```swift
/// let trace = ParallelTrace()
/// try ParallelTrace.$current.withValue(trace) { _ = try shift2d(x, shifts: s) }
/// #expect(trace.runs.allSatisfy { $0.workers > 1 })
/// ```
/// Task-local, so tests running at the same time each see only their own calls.
@usableFromInline
package final class ParallelTrace: Sendable {
    /// One `parallelChunks` call: the chunks it ran and the workers that ran at least one.
    @usableFromInline
    package struct Run: Sendable, Equatable {
        @usableFromInline package var chunks: Int
        @usableFromInline package var workers: Int
        @inlinable package init(chunks: Int, workers: Int) { (self.chunks, self.workers) = (chunks, workers) }
    }

    /// The trace that parallel loops of the current task record into, if any.
    @TaskLocal package static var current: ParallelTrace?

    private let recorded = Locked<[Run]>([])

    package init() {}

    /// Every run recorded so far, in the order they finished.
    package var runs: [Run] { recorded.withLock { $0 } }

    @usableFromInline static var active: ParallelTrace? { current }

    @usableFromInline func record(_ run: Run) { recorded.withLock { $0.append(run) } }

    /// Counts, from inside one call's workers, what they ran; atomics, so that no worker waits
    /// on another to count.
    @usableFromInline
    final class Tally: Sendable {
        private let chunks = Atomic<Int>(0), workers = Atomic<Int>(0)
        @usableFromInline init() {}
        @usableFromInline func add(chunks ran: Int) {
            guard ran > 0 else { return }
            chunks.add(ran, ordering: .relaxed)
            workers.add(1, ordering: .relaxed)
        }
        /// Read after the workers have joined (`concurrentPerform` returns after all of them).
        @usableFromInline var run: Run { Run(chunks: chunks.load(ordering: .relaxed), workers: workers.load(ordering: .relaxed)) }
    }
}

@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @inlinable init(_ value: Value) { self.value = value }
}
