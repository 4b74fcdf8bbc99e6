import Testing
@testable import ShiftOps
#if canImport(Glibc)
import Glibc
#endif

/// The buffer pool and its off switch (`SHIFTOPS_DISABLE_BUFFER_POOL`, set by the sanitizer runs).
@Suite struct TensorMemoryTests {
    @Test func theSwitchDecidesWhetherLargeBuffersAreKept() throws {
        let disabled = getenv("SHIFTOPS_DISABLE_BUFFER_POOL").map { String(cString: $0) }.map { !$0.isEmpty && $0 != "0" } ?? false
        #expect(TensorMemory.isPoolingEnabled == !disabled)
        // A size no other test allocates: 1 MiB plus 3 floats' worth of pages.
        let count = (1 << 18) + 3 * 1024 + 7
        let bytes = count * MemoryLayout<Float>.stride
        func pooled() -> Int { TensorMemory.state.withLock { $0.free[bytes]?.count ?? 0 } }
        let before = pooled()
        do {
            let t = try Tensor<Float>(shape: [count], repeating: 1)
            #expect(t.count == count)
        }
        if disabled {
            #expect(TensorMemory.cachedBytes == 0 && pooled() == 0)
            print("TensorMemoryTests: pooling is off (SHIFTOPS_DISABLE_BUFFER_POOL); buffers go straight back to the system")
        } else {
            #expect(pooled() == before + 1, "a released large buffer is kept for reuse")
        }
    }
}
