#if CUDA
import CCUDART
import ShiftOps

// Measuring helpers for `shiftops bench --device cuda`, package-internal: they time and
// measure, they are not part of the ops.

extension CUDABackend {
    /// Median and minimum milliseconds of `repetitions` runs of `body` after one warm-up, each
    /// timed between two CUDA events on the ops' stream.
    package func time(repetitions: Int, _ body: () throws -> Void) throws -> (median: Double, minimum: Double) {
        var start: cudaEvent_t?, stop: cudaEvent_t?
        try check(cudaEventCreate(&start), "creating a CUDA event")
        try check(cudaEventCreate(&stop), "creating a CUDA event")
        defer { cudaEventDestroy(start); cudaEventDestroy(stop) }
        try body()
        try synchronize()
        var samples = [Double]()
        for _ in 0..<Swift.max(repetitions, 1) {
            try check(cudaEventRecord(start, Self.stream), "recording an event")
            try body()
            try check(cudaEventRecord(stop, Self.stream), "recording an event")
            try check(cudaEventSynchronize(stop), "waiting for an event")
            var milliseconds: Float = 0
            try check(cudaEventElapsedTime(&milliseconds, start, stop), "reading an event")
            samples.append(Double(milliseconds))
        }
        samples.sort()
        return (samples[samples.count / 2], samples[0])
    }

    /// The most device memory `body` took from the stream-ordered pool beyond what was in use
    /// before it, measured from the pool's high-water mark (not computed from a formula): what an
    /// op allocates beyond the outputs it was given.
    package func poolBytes(during body: () throws -> Void) throws -> Int {
        try synchronize()
        var pool: cudaMemPool_t?
        try check(cudaDeviceGetDefaultMemPool(&pool, 0), "opening the device's memory pool")
        var reset: UInt64 = 0  // zero is the one value allowed: it restarts the mark at the current use
        try check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &reset), "resetting the pool's high-water mark")
        var before: UInt64 = 0, high: UInt64 = 0
        try check(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &before), "reading the pool")
        try body()
        try synchronize()
        try check(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &high), "reading the pool")
        return Int(high > before ? high - before : 0)
    }
}
#endif
