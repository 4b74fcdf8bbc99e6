#if CUDA
import CCUDART
import ShiftOps

/// Device memory from CUDA's stream-ordered pool, returned to the pool when the last tensor using
/// it goes.
///
/// `cudaMallocAsync`/`cudaFreeAsync` on the stream the ops run on: neither synchronises the
/// device (unlike `cudaMalloc`/`cudaFree`), and the backend keeps freed memory in the pool (its
/// release threshold is raised at load), so an op that allocates its output and workspace costs
/// no system call in steady state.
final class CUDABuffer: @unchecked Sendable {
    let base: UnsafeMutableRawPointer?
    let byteCount: Int

    init(byteCount: Int) throws {
        self.byteCount = byteCount
        var pointer: UnsafeMutableRawPointer?
        if byteCount > 0 {
            try check(cudaMallocAsync(&pointer, byteCount, CUDABackend.stream), "allocating \(byteCount) bytes on the GPU")
        }
        base = pointer
    }

    deinit {
        // Stream-ordered: the memory returns to the pool once the work queued before it is done,
        // so a kernel still reading it is safe.
        if let base { cudaFreeAsync(base, CUDABackend.stream) }
    }
}
#endif
