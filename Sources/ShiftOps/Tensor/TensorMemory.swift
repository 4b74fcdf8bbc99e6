#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recycles large tensor buffers.
///
/// A fresh multi-megabyte allocation comes from the kernel as untouched pages, and the first write
/// to each page faults: for a shift, which moves each byte once, that costs several times the op
/// itself. Training loops allocate the same shapes every step, so buffers of at least
/// ``minimumPooledBytes`` are kept on release (up to ``limit`` bytes in all) and handed out again
/// for the same size. Small buffers go straight to `malloc`.
///
/// Setting the environment variable `SHIFTOPS_DISABLE_BUFFER_POOL=1` turns pooling off for the
/// process: every buffer then comes from `malloc` and goes back to `free`, so AddressSanitizer
/// sees each use after free and Valgrind each read of memory no kernel wrote (recycled buffers
/// hide both). The sanitizer runs in `.ci/run` set it.
public enum TensorMemory {
    /// Buffers smaller than this are never pooled.
    public static let minimumPooledBytes = 1 << 20

    /// Whether large buffers are recycled: true unless `SHIFTOPS_DISABLE_BUFFER_POOL` is set to
    /// something other than `0` or the empty string when the process first allocates.
    public static let isPoolingEnabled: Bool = {
        guard let value = getenv("SHIFTOPS_DISABLE_BUFFER_POOL") else { return true }
        let text = String(cString: value)
        return text.isEmpty || text == "0"
    }()

    /// A pooled buffer: owned by the pool while listed, by one storage otherwise.
    struct Buffer: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
    }

    struct State: ~Copyable {
        var free: [Int: [Buffer]] = [:]
        var cachedBytes = 0
        var limit = 256 << 20
    }

    static let state = Locked(State())

    /// The most bytes the pool keeps for reuse; 256 MiB by default. Lowering it releases buffers
    /// until the pool fits.
    public static var limit: Int {
        get { state.withLock { $0.limit } }
        set {
            state.withLock { state in
                state.limit = Swift.max(0, newValue)
                trim(&state)
            }
        }
    }

    /// The bytes the pool holds now.
    public static var cachedBytes: Int { state.withLock { $0.cachedBytes } }

    /// Returns every pooled buffer to the system.
    public static func releaseCachedBuffers() {
        // With pooling off nothing is ever cached, and the lock need not be taken.
        guard isPoolingEnabled else { return }
        state.withLock { state in
            for buffers in state.free.values { buffers.forEach { free($0.base) } }
            state.free = [:]
            state.cachedBytes = 0
        }
    }

    static func trim(_ state: inout State) {
        while state.cachedBytes > state.limit, let (size, buffers) = state.free.first(where: { !$0.value.isEmpty }) {
            free(buffers.last!.base)
            state.free[size]!.removeLast()
            state.cachedBytes -= size
        }
    }

    /// A block of `byteCount` bytes (64-byte aligned at least), or nil when the system has none.
    @usableFromInline
    static func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        if byteCount >= minimumPooledBytes, isPoolingEnabled,
           let buffer = state.withLock({ state -> Buffer? in
               guard let buffer = state.free[byteCount]?.popLast() else { return nil }
               state.cachedBytes -= byteCount
               return buffer
           }) {
            return buffer.base
        }
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, Swift.max(alignment, 64), Swift.max(byteCount, 1)) == 0 else { return nil }
        return memory
    }

    @usableFromInline
    static func deallocate(_ buffer: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount >= minimumPooledBytes, isPoolingEnabled {
            let pooled = Buffer(base: buffer)
            let kept = state.withLock { state -> Bool in
                guard state.cachedBytes + byteCount <= state.limit else { return false }
                state.free[byteCount, default: []].append(pooled)
                state.cachedBytes += byteCount
                return true
            }
            if kept { return }
        }
        free(buffer)
    }
}
