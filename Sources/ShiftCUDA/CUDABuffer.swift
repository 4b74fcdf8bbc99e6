#if CUDA
import CCUDART
import ShiftOps

/// Device memory a tensor reads and writes: either from CUDA's stream-ordered pool, returned to
/// the pool when the last tensor using it goes, or borrowed from the caller for a scope and never
/// freed here.
///
/// Owned memory comes from `cudaMallocAsync`/`cudaFreeAsync` on the stream the ops run on when
/// it is allocated: neither synchronises the device (unlike `cudaMalloc`/`cudaFree`), and the
/// backend keeps freed memory in the pool (its release threshold is raised at load), so an op that
/// allocates its output and workspace costs no system call in steady state.
final class CUDABuffer: @unchecked Sendable {
    /// The first byte. Read it through ``base``, which refuses revoked borrowed memory.
    private let memory: UnsafeMutableRawPointer?
    let byteCount: Int
    /// Whether `deinit` gives the memory back (false for borrowed memory).
    let ownsMemory: Bool
    /// Whether an op may write into the memory (false for memory lent read-only).
    let isWritable: Bool
    /// The stream the memory was allocated on and is freed on: freeing it on the stream its last
    /// kernels ran on orders the free after them.
    private let stream: cudaStream_t?
    /// Set once, when the scope that lent the memory ends. A plain flag, as the CPU's borrowed
    /// storage has: it changes only after the tensors' only legitimate users are done.
    private(set) var isRevoked = false

    /// Pool memory for `byteCount` bytes, on the current ops' stream.
    init(byteCount: Int) throws {
        self.byteCount = byteCount
        ownsMemory = true
        isWritable = true
        stream = CUDABackend.stream
        var pointer: UnsafeMutableRawPointer?
        if byteCount > 0 {
            try check(cudaMallocAsync(&pointer, byteCount, stream), "allocating \(byteCount) bytes on the GPU")
        }
        memory = pointer
    }

    /// `byteCount` bytes at `memory` that the caller owns and frees.
    init(borrowing memory: UnsafeMutableRawPointer, byteCount: Int, writable: Bool) {
        self.memory = memory
        self.byteCount = byteCount
        ownsMemory = false
        isWritable = writable
        stream = nil
    }

    /// The first byte (nil for an empty owned buffer).
    ///
    /// - Precondition: the buffer was not revoked: a tensor over borrowed device memory is used
    ///   only inside the scope that lent it.
    var base: UnsafeMutableRawPointer? {
        precondition(!isRevoked,
                     "ShiftCUDA: a CUDATensor over borrowed device memory was used after the scope that lent it ended")
        return memory
    }

    /// Makes every later access trap: the lender's scope ended.
    func revoke() { isRevoked = true }

    /// Whether the bytes of both buffers overlap (the same buffer always does). Owned buffers
    /// never overlap one another; borrowed ones may overlap each other or an owned buffer.
    func overlaps(_ other: CUDABuffer) -> Bool {
        if self === other { return true }
        guard byteCount > 0, other.byteCount > 0, let a = memory, let b = other.memory else { return false }
        let (start, otherStart) = (UInt(bitPattern: a), UInt(bitPattern: b))
        return start < otherStart + UInt(other.byteCount) && otherStart < start + UInt(byteCount)
    }

    deinit {
        // Stream-ordered: the memory returns to the pool once the work queued before it is done,
        // so a kernel still reading it is safe.
        if ownsMemory, let memory { cudaFreeAsync(memory, stream) }
    }
}
#endif
