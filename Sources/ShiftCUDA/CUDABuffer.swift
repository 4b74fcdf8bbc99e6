#if CUDA
import CCUDART
import ShiftOps

/// Device memory, freed when the last tensor using it goes.
final class CUDABuffer: @unchecked Sendable {
    let base: UnsafeMutableRawPointer?
    let byteCount: Int

    init(byteCount: Int) throws {
        self.byteCount = byteCount
        var pointer: UnsafeMutableRawPointer?
        if byteCount > 0 { try check(cudaMalloc(&pointer, byteCount), "allocating \(byteCount) bytes on the GPU") }
        base = pointer
    }

    deinit {
        if let base { cudaFree(base) }
    }
}
#endif
