import Dispatch
import Foundation

/// The copy every ratio is taken against ("copy" in every figure): the fastest copy of the same bytes this
/// machine does. Both buffers are written before timing, so no page faults are timed, and several
/// copies are tried on one thread and on every thread; the one with the smallest time (minimum) is "copy".
///
/// Why several: glibc's `memcpy` switches to non-temporal stores above a size threshold, which
/// sends the destination past the cache, so on a cache-resident shape one large `memcpy` per
/// thread can be twice as slow as the same bytes copied in chunks below that threshold.
enum BenchCopy {
    /// Chunks small enough that `memcpy` keeps to ordinary (cached) stores.
    static let chunkBytes = 256 << 10

    /// Times every copy of `bytes` bytes and returns their rows and the fastest of them.
    static func measure(bytes: Int, threads: Int, timer: BenchTimer, prefix: String = "copy")
        -> (rows: [BenchCommand.Row], best: BenchCommand.Row) {
        let buffers = CopyBuffers(bytes: bytes)
        defer { buffers.deallocate() }
        // Copies are short: more samples at no real cost. The copy's minimum over more runs than the
        // op's tends to be lower, so a ratio to it errs against the op.
        let repetitions = timer.repetitions * 5
        let traffic = 2 * bytes
        var rows = [BenchCommand.Row]()
        rows.append(timer.time("\(prefix): memcpy, 1 thread", bytes: traffic, repetitions: repetitions) {
            memcpy(buffers.target, buffers.source, bytes)
        })
        rows.append(timer.time("\(prefix): memcpy, \(threads) threads", bytes: traffic, repetitions: repetitions) {
            buffers.parallel(threads: threads) { lo, hi in memcpy(buffers.target + lo, buffers.source + lo, hi - lo) }
        })
        rows.append(timer.time("\(prefix): chunked memcpy, \(threads) threads", bytes: traffic, repetitions: repetitions) {
            buffers.parallel(threads: threads) { lo, hi in
                var offset = lo
                while offset < hi {
                    let count = min(chunkBytes, hi - offset)
                    memcpy(buffers.target + offset, buffers.source + offset, count)
                    offset += count
                }
            }
        })
        rows.append(timer.time("\(prefix): SIMD loop, \(threads) threads", bytes: traffic, repetitions: repetitions) {
            buffers.parallel(threads: threads, alignment: 64) { lo, hi in buffers.vectorCopy(lo, hi) }
        })
        return (rows, rows.min { $0.time < $1.time }!)
    }
}

/// Two prefaulted, 64-byte aligned buffers; each copy task writes its own byte range.
struct CopyBuffers: @unchecked Sendable {
    let source: UnsafeMutableRawPointer
    let target: UnsafeMutableRawPointer
    let bytes: Int

    init(bytes: Int) {
        self.bytes = bytes
        source = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        target = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        memset(source, 1, bytes)
        memset(target, 0, bytes)
    }

    func deallocate() {
        source.deallocate()
        target.deallocate()
    }

    /// Splits `0..<bytes` into one contiguous range per thread (boundaries on `alignment`).
    func parallel(threads: Int, alignment: Int = 1, _ body: (Int, Int) -> Void) {
        let units = bytes / alignment
        withoutActuallyEscaping(body) { body in
            let task = UncheckedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let lo = units * t / threads * alignment
                let hi = t == threads - 1 ? bytes : units * (t + 1) / threads * alignment
                task.body(lo, hi)
            }
        }
    }

    /// A plain loop of 64-byte vector loads and stores, which the compiler emits as ordinary
    /// (cached) stores, and a byte tail.
    func vectorCopy(_ lo: Int, _ hi: Int) {
        let vectors = (hi - lo) / 64
        let s = (source + lo).assumingMemoryBound(to: SIMD16<Float>.self)
        let d = (target + lo).assumingMemoryBound(to: SIMD16<Float>.self)
        for i in 0..<vectors { d[i] = s[i] }
        let done = vectors * 64
        if lo + done < hi { memcpy(target + lo + done, source + lo + done, hi - lo - done) }
    }
}

/// A closure that may cross into `concurrentPerform`: every task writes a disjoint range.
struct UncheckedBody: @unchecked Sendable {
    let body: (Int, Int) -> Void
}
