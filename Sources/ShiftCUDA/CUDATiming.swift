#if CUDA
import CCUDART
import ShiftOps

extension CUDABackend {
    /// Median and minimum milliseconds of `repetitions` runs of `body` after one warm-up, each
    /// timed between two CUDA events on the default stream.
    public func time(repetitions: Int, _ body: () throws -> Void) throws -> (median: Double, minimum: Double) {
        var start: cudaEvent_t?, stop: cudaEvent_t?
        try check(cudaEventCreate(&start), "creating a CUDA event")
        try check(cudaEventCreate(&stop), "creating a CUDA event")
        defer { cudaEventDestroy(start); cudaEventDestroy(stop) }
        try body()
        try synchronize()
        var samples = [Double]()
        for _ in 0..<Swift.max(repetitions, 1) {
            try check(cudaEventRecord(start, nil), "recording an event")
            try body()
            try check(cudaEventRecord(stop, nil), "recording an event")
            try check(cudaEventSynchronize(stop), "waiting for an event")
            var milliseconds: Float = 0
            try check(cudaEventElapsedTime(&milliseconds, start, stop), "reading an event")
            samples.append(Double(milliseconds))
        }
        samples.sort()
        return (samples[samples.count / 2], samples[0])
    }
}

extension CUDATensor {
    /// A device-to-device copy (cudaMemcpy), the bandwidth baseline of the GPU benchmark.
    public func copy() throws -> CUDATensor {
        let result = try CUDATensor(shape: shape, dimensionOrder: dimensionOrder)
        if let target = result.buffer.base, let source = buffer.base {
            try check(cudaMemcpy(target, source, buffer.byteCount, cudaMemcpyDeviceToDevice), "copying on the GPU")
        }
        return result
    }
}
#endif
