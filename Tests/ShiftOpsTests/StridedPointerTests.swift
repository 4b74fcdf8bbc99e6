import Testing
@testable import ShiftOps

/// The kernels' handle on a tensor (``StridedPointer``): it addresses what the tensor's strides
/// say, knows which offsets lie in the tensor's memory, and a debug build stops a read outside.
@Suite struct StridedPointerTests {
    /// Lender memory `0..<24` seen as `[1, 2, 3, 4]` with a negative height stride, starting at 8.
    func withFlippedView(_ body: (Tensor<Float>) throws -> Void) throws {
        let memory = (0..<24).map(Float.init)
        try memory.withUnsafeBufferPointer { buffer in
            try Tensor.withBorrowed(buffer, shape: [1, 2, 3, 4], strides: [24, 12, -4, 1], offset: 8) { try body($0) }
        }
    }

    @Test func planesAddressTheTensorsElements() throws {
        try withFlippedView { x in
            let handle = StridedPointer(x)
            #expect(handle.strides.c == 12 && handle.strides.d == 0 && handle.strides.h == -4 && handle.strides.w == 1)
            for c in 0..<2 {
                for h in 0..<3 {
                    for w in 0..<4 {
                        #expect(handle.plane(0, c, 0, h)[w &* handle.strides.w] == x[[0, c, h, w]], "c \(c) h \(h) w \(w)")
                    }
                }
            }
        }
    }

    @Test func theExtentSpansTheElementsEitherSideOfTheFirst() throws {
        try withFlippedView { x in
            // From element [0, 0, 0, 0] at memory 8: down to [0, 0, 2, 0] at 0, up to [0, 1, 0, 3] at 23.
            #expect(StridedPointer.extent(of: x) == -8..<16)
        }
        #expect(StridedPointer.extent(of: try Tensor<Float>(shape: [2, 0, 3])).isEmpty)
    }

    #if DEBUG
    @Test func aReadOutsideTheTensorStopsADebugBuild() async {
        await #expect(processExitsWith: .failure) {
            let x = try Tensor<Float>(shape: [1, 1, 2, 2])
            let handle = StridedPointer(x)
            _ = handle.plane(0, 0)[4]
        }
        await #expect(processExitsWith: .failure) {
            let x = try Tensor<Float>(shape: [1, 2, 2, 2])
            _ = StridedPointer(x).plane(1, 0)
        }
    }
    #endif
}
