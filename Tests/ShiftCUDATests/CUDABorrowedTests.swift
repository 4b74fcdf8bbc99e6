import Testing
import ShiftOps
#if CUDA
import CCUDART
@testable import ShiftCUDA

/// A non-nil, aligned address that is never dereferenced: the checks and the scope logic below
/// touch no device memory, so they run without a GPU (and throw before any launch with one).
private var fake: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 0x10000)! }

/// Borrowed device tensors and the caller's stream: everything that needs no device memory.
@Suite struct CUDABorrowedTests {
    @Test func badArgumentsNameTheArgument() {
        expectError(.invalidArgument, "devicePointer") {
            try CUDATensor<Float>.withBorrowed(devicePointer: nil, count: 4, shape: [4]) { _ in }
        }
        expectError(.invalidArgument, "mutatingDevicePointer") {
            try CUDATensor<Float>.withBorrowed(mutatingDevicePointer: nil, count: 0, shape: [0]) { _ in }
        }
        expectError(.invalidArgument, "devicePointer") {  // not aligned for Float
            try CUDATensor<Float>.withBorrowed(devicePointer: fake + 2, count: 4, shape: [4]) { _ in }
        }
        expectError(.invalidArgument, "mutatingDevicePointer") {  // Double needs 8
            try CUDATensor<Double>.withBorrowed(mutatingDevicePointer: fake + 4, count: 4, shape: [4]) { _ in }
        }
        expectError(.invalidArgument, "count") {
            try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: -1, shape: [0]) { _ in }
        }
        expectError(.sizeOverflow, "count") {
            try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: Int.max / 2, shape: [1]) { _ in }
        }
        expectError(.invalidArgument, "shape") {
            try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 4, shape: [2, -2]) { _ in }
        }
        expectError(.invalidArgument, "strides") {
            try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 6, shape: [2, 3], strides: [3]) { _ in }
        }
        expectError(.invalidArgument, "devicePointer") {  // reaches element 6 of 6
            try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 6, shape: [2, 3], offset: 1) { _ in }
        }
        expectError(.invalidArgument, "devicePointer") {  // reaches element -1
            try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 6, shape: [3], strides: [-1], offset: 1) { _ in }
        }
        expectError(.sizeOverflow, "strides") {
            try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 6, shape: [3, 2], strides: [Int.max, 1]) { _ in }
        }
    }

    @Test func theLayoutIsTheOneDescribed() throws {
        // Channels-last [1, 3, 2, 2] inside 20 elements, starting at element 4.
        try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 20, shape: [1, 3, 2, 2], strides: [12, 1, 6, 3],
                                           offset: 4) { x in
            #expect(x.shape == [1, 3, 2, 2] && x.strides == [12, 1, 6, 3])
            #expect(x.dimensionOrder == [0, 2, 3, 1])
            #expect(x.pointer == (fake + 4 * 4).assumingMemoryBound(to: Float.self))
            #expect(x.buffer.byteCount == 12 * 4 && x.isDense)
            #expect(!x.buffer.isWritable && !x.buffer.ownsMemory)
        }
        // Reversed: the buffer starts at the lowest element reached, the tensor at element 2.
        try CUDATensor<Float>.withBorrowed(mutatingDevicePointer: fake, count: 3, shape: [3], strides: [-1], offset: 2) { x in
            #expect(x.pointer == (fake + 8).assumingMemoryBound(to: Float.self))
            #expect(x.buffer.byteCount == 12 && x.offset == 2 && !x.isDense && x.buffer.isWritable)
            #expect(x.gathered([10, 11, 12] as [Float]) == [12, 11, 10])
        }
        // Every other column of a [2, 4] row-major block: strided, not dense.
        try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 8, shape: [2, 2], strides: [4, 2]) { x in
            #expect(!x.isDense && x.buffer.byteCount == 7 * 4)
            #expect(x.gathered((0..<7).map(Float.init)) == [0, 2, 4, 6])
        }
    }

    @Test func borrowedRangesThatOverlapShareStorage() throws {
        try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 8, shape: [4]) { a in
            try CUDATensor<Float>.withBorrowed(devicePointer: fake + 12, count: 4, shape: [4]) { b in
                #expect(a.sharesStorage(with: b) && b.sharesStorage(with: a))
            }
            try CUDATensor<Float>.withBorrowed(devicePointer: fake + 16, count: 4, shape: [4]) { c in
                #expect(!a.sharesStorage(with: c))
            }
        }
    }

    /// The ops refuse a read-only borrowed output and an output over their input's memory,
    /// before anything is launched.
    @Test func opsRefuseReadOnlyAndAliasedBorrowedOutputs() throws {
        try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 2 * 3 * 4 * 4, shape: [2, 3, 4, 4]) { x in
            try CUDATensor<Float>.withBorrowed(devicePointer: fake + 4096, count: 6, shape: [3, 2]) { shifts in
                try CUDATensor<Float>.withBorrowed(devicePointer: fake + 8192, count: 96, shape: [2, 3, 4, 4]) { readOnly in
                    expectError(.invalidArgument, "output") { try shift2d(x, shifts: shifts, into: readOnly) }
                    let gradients = CUDAShiftGradients(input: readOnly, shifts: nil)
                    expectError(.invalidArgument, "gradients.input") {
                        try shift2dBackward(gradOutput: x, input: x, shifts: shifts, mode: .grouped, into: gradients)
                    }
                }
                try CUDATensor<Float>.withBorrowed(mutatingDevicePointer: fake + 64, count: 96, shape: [2, 3, 4, 4]) { overlapping in
                    expectError(.aliasedOutput, "output") { try shift2d(x, shifts: shifts, into: overlapping) }
                }
            }
        }
    }

    @Test func theTensorIsRevokedWhenTheScopeEnds() throws {
        var insideRevoked: Bool?
        let escaped = try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 0, shape: [0, 3]) { x in
            insideRevoked = x.buffer.isRevoked
            return x
        }
        #expect(insideRevoked == false)
        #expect(escaped.buffer.isRevoked)
        struct Failure: Error {}
        var kept: CUDATensor<Float>?
        #expect(throws: Failure.self) {
            try CUDATensor<Float>.withBorrowed(mutatingDevicePointer: fake, count: 4, shape: [4]) { x in
                kept = x
                throw Failure()
            }
        }
        #expect(kept?.buffer.isRevoked == true)
        // A copy owns its memory and is never revoked (an empty one needs no GPU).
        let copy = try CUDATensor<Float>.withBorrowed(devicePointer: fake, count: 0, shape: [0]) { try $0.copy() }
        #expect(!copy.buffer.isRevoked && copy.buffer.ownsMemory)
    }

    /// Errors of the use are swallowed: only the trap may end the process with a failure.
    @Test func aBorrowedTensorUsedAfterItsScopeTraps() async {
        await #expect(processExitsWith: .failure) {
            let escaped = try CUDATensor<Float>.withBorrowed(devicePointer: UnsafeRawPointer(bitPattern: 0x10000),
                                                             count: 0, shape: [0]) { $0 }
            _ = try? escaped.host()
        }
        await #expect(processExitsWith: .failure) {
            let escaped = try CUDATensor<Float>.withBorrowed(
                mutatingDevicePointer: UnsafeMutableRawPointer(bitPattern: 0x10000), count: 0, shape: [0, 2]) { $0 }
            _ = try? escaped.copy()
        }
    }

    @Test func withStreamSetsTheOpsStreamForItsScope() throws {
        let first = OpaquePointer(bitPattern: 0x1000)!, second = OpaquePointer(bitPattern: 0x2000)!
        #expect(CUDABackend.stream == nil)
        CUDABackend.withStream(first) {
            #expect(CUDABackend.stream == first)
            #expect(CUDABackend.streamArgument == UnsafeMutableRawPointer(first))
            CUDABackend.withStream(second) { #expect(CUDABackend.stream == second) }
            #expect(CUDABackend.stream == first)
        }
        struct Failure: Error {}
        #expect(throws: Failure.self) { try CUDABackend.withStream(second) { throw Failure() } }
        #expect(CUDABackend.stream == nil)
    }
}

/// Borrowed `cudaMalloc`ed memory and a caller-created stream, against the ops' own tensors.
@Suite(.enabled(if: gpuAvailable, "needs an NVIDIA GPU and CKernels/libshiftcuda.so"))
struct CUDABorrowedGPUTests {
    /// Device memory from `cudaMalloc`, as another library would own it.
    final class Foreign {
        let pointer: UnsafeMutableRawPointer
        init(bytes: Int) throws {
            var p: UnsafeMutableRawPointer?
            try check(cudaMalloc(&p, bytes), "cudaMalloc")
            pointer = p!
        }
        deinit { cudaFree(pointer) }
    }

    @Test func borrowedMemoryOnTheCallersStreamMatchesTheOpsOwnTensors() throws {
        let xh = try Tensor<Float>.random(shape: [2, 4, 6, 5], seed: 21)
        let s = try Tensor<Float>.random(shape: [4, 2], in: -1.5...1.5, seed: 22)
        let g = try Tensor<Float>.random(shape: [2, 4, 6, 5], seed: 23)
        let expected = try shift2d(CUDATensor(xh), shifts: s, padding: .reflect).host()
        let expectedGradients = try shift2dBackward(gradOutput: CUDATensor(g), input: CUDATensor(xh), shifts: s,
                                                    padding: .reflect).host()
        let n = xh.count
        let input = try Foreign(bytes: n * 4), gradOutput = try Foreign(bytes: n * 4)
        let output = try Foreign(bytes: n * 4), gradInput = try Foreign(bytes: n * 4), gradShifts = try Foreign(bytes: 8 * 4)
        var stream: cudaStream_t?
        try check(cudaStreamCreateWithFlags(&stream, UInt32(cudaStreamNonBlocking)), "creating a stream")
        defer { cudaStreamDestroy(stream) }
        try CUDABackend.withStream(stream) {
            // The caller's own upload, queued on its stream before the ops: ordered before them.
            try xh.withDenseElements(order: [0, 1, 2, 3]) { e in
                try check(cudaMemcpyAsync(input.pointer, e.baseAddress, n * 4, cudaMemcpyHostToDevice, stream), "upload")
            }
            try g.withDenseElements(order: [0, 1, 2, 3]) { e in
                try check(cudaMemcpyAsync(gradOutput.pointer, e.baseAddress, n * 4, cudaMemcpyHostToDevice, stream), "upload")
            }
            try CUDATensor<Float>.withBorrowed(devicePointer: input.pointer, count: n, shape: xh.shape) { x in
                try CUDATensor<Float>.withBorrowed(devicePointer: gradOutput.pointer, count: n, shape: xh.shape) { gy in
                    try CUDATensor<Float>.withBorrowed(mutatingDevicePointer: output.pointer, count: n, shape: xh.shape) { y in
                        try shift2d(x, shifts: s, padding: .reflect, into: y)
                        // host() waits for the caller's stream, which the op ran on.
                        #expect(try y.host().elements == expected.elements)
                    }
                    try CUDATensor<Float>.withBorrowed(mutatingDevicePointer: gradInput.pointer, count: n, shape: xh.shape) { gx in
                        try CUDATensor<Float>.withBorrowed(mutatingDevicePointer: gradShifts.pointer, count: 8, shape: [4, 2]) { gs in
                            try shift2dBackward(gradOutput: gy, input: x, shifts: s, padding: .reflect,
                                                into: CUDAShiftGradients(input: gx, shifts: gs))
                            try check(cudaStreamSynchronize(stream), "synchronising the caller's stream")
                            #expect(try gx.host().elements == expectedGradients.input.elements)
                            #expect(try gs.host().elements == expectedGradients.shifts!.elements)
                        }
                    }
                    // A strided, reversed view of the caller's memory: the width read backwards.
                    try CUDATensor<Float>.withBorrowed(devicePointer: input.pointer, count: n, shape: xh.shape,
                                                       strides: [120, 30, 5, -1], offset: 4) { reversed in
                        let hostReversed = try xh.elements.withUnsafeBufferPointer { buffer in
                            try Tensor.withBorrowed(buffer, shape: xh.shape, strides: [120, 30, 5, -1], offset: 4) { try $0.dense() }
                        }
                        #expect(try reversed.host().elements == hostReversed.elements)
                        let y = try shift2d(reversed, shifts: s, padding: .reflect)
                        #expect(try y.host().isApproximatelyEqual(to: try ShiftOps.shift2d(hostReversed, shifts: s,
                                                                                                padding: .reflect),
                                                                    tolerance: 1e-5))
                    }
                }
            }
        }
        // The ops' own path on the legacy stream still agrees after the scope.
        #expect(try shift2d(CUDATensor(xh), shifts: s, padding: .reflect).host().elements == expected.elements)
    }
}
#endif
