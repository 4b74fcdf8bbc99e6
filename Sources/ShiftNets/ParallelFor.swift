import Dispatch
import ShiftOps

/// Runs `body(i)` for every `i` in `0..<count` on up to `Parallelism.threadLimit` threads.
///
/// Each index is a unit the problem fixes (an image, a channel, a block of rows) and writes its
/// own part of the output, so results do not depend on the thread count. The caller's matrix
/// product backend (`GemmBackend.current`) holds on every thread: task-local values do not cross
/// into the worker threads by themselves.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 0 else { return }
    let threads = Swift.max(1, Swift.min(Parallelism.threadLimit, count))
    if threads == 1 {
        for i in 0..<count { body(i) }
        return
    }
    let backend = GemmBackend.current
    withoutActuallyEscaping(body) { body in
        let task = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            GemmBackend.$override.withValue(backend) {
                var i = t
                while i < count {
                    task.value(i)
                    i &+= threads
                }
            }
        }
    }
}

/// How many blocks of columns each image's matrix product is cut into, so that a batch of fewer
/// images than cores still keeps them busy: one block from 8 images on, otherwise blocks of at
/// least 128 columns, at most 8. It depends on the problem only, never on the thread count, so
/// the bits do not either.
func columnBlocks(images: Int, columns: Int) -> Int {
    images >= 8 ? 1 : Swift.max(1, Swift.min(8, columns / 128))
}

/// A value that crosses into `concurrentPerform`: safe because every task writes disjoint memory.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A pointer shared by parallel tasks that write disjoint parts of what it points to.
struct SharedPointer<Pointee>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Pointee>
    init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }
}
