import Foundation
import Testing
import ShiftOps
#if CUDA
@testable import ShiftCUDA
@testable import ShiftOpsTool

/// Why the GPU tests cannot run here, or nil when a GPU and the kernels library are present.
let unavailableReason: String? = {
    do {
        let backend = try CUDABackend.shared()
        print("ShiftCUDA: running on \(backend)")
        return nil
    } catch {
        print("ShiftCUDA: GPU tests skipped: \(error)")
        return "\(error)"
    }
}()

let gpuAvailable = unavailableReason == nil

/// What runs without a GPU: the library loads (or fails as documented) and errors are errors.
@Suite struct CUDABackendTests {
    @Test func aMissingLibraryIsADocumentedError() {
        do {
            _ = try CUDABackend.load(libraryPath: "/nonexistent/libshiftcuda.so")
            Issue.record("loading a missing library should fail")
        } catch let error as ShiftOpsError {
            #expect(error.code == .cuda && error.argument == "library")
            #expect(error.message.contains("make -C CKernels"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// A shape whose element or byte count overflows Int is a thrown error before any CUDA call,
    /// so this runs without a GPU.
    @Test func overflowingSizesThrowInsteadOfTrapping() throws {
        for shape in [[Int.max / 2, 3], [1 << 40, 1 << 40], [Int.max / 4 + 1]] {
            do {
                _ = try CUDATensor<Float>(shape: shape)
                Issue.record("shape \(shape) should not allocate")
            } catch let error as ShiftOpsError {
                #expect(error.code == .sizeOverflow && error.argument == "shape", "\(error)")
            }
        }
        // Fits in elements, overflows in bytes: 2^61 Doubles.
        #expect(throws: ShiftOpsError.self) { try CUDATensor<Double>.byteCount(of: [1 << 61]) }
        #expect(try CUDATensor<Double>.byteCount(of: [3, 5]) == 120)
    }

    @Test func theBuiltLibraryLoadsOrTheDeviceIsReportedMissing() throws {
        let path = FileManager.default.currentDirectoryPath + "/CKernels/libshiftcuda.so"
        try #require(FileManager.default.fileExists(atPath: path), "CKernels/libshiftcuda.so is built by 'make -C CKernels' before the CUDA tests")
        do {
            let backend = try CUDABackend.load(libraryPath: path)
            #expect(backend.libraryPath == path && !backend.deviceName.isEmpty)
        } catch let error as ShiftOpsError {
            // The library loaded and matched its version; what failed is the device or driver.
            #expect(error.code == .cuda && error.argument == "device", "\(error)")
            print("ShiftCUDA: library \(path) loads; no usable GPU here: \(error.message)")
        }
    }
}

/// CUDA against the CPU for every mode x padding x rank x stride x layout, Double gradients
/// against finite differences, bitwise determinism and 64-bit indexing: the checks of
/// `shiftops check --device cuda`, which the GPU bundle runs where no Swift toolchain is.
@Suite(.enabled(if: gpuAvailable, "needs an NVIDIA GPU and CKernels/libshiftcuda.so"))
struct CUDAParityTests {
    @Test func gpuMatchesTheCPU() throws {
        let outcome = try GPUCheck.run(progress: { print($0) })
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.passed > 1000)
    }

    /// The README's example (smaller): device shifts, a preallocated output, gradients on the GPU.
    @Test func readmeExample() throws {
        let hostShifts = try Tensor<Float>.random(shape: [16, 2], in: -1.5...1.5, seed: 2)
        let x = try CUDATensor(try Tensor<Float>.random(shape: [4, 16, 20, 20], seed: 1))
        let shifts = try CUDATensor(hostShifts)
        let y = try CUDATensor<Float>(shape: [4, 16, 20, 20])
        try shift2d(x, shifts: shifts, mode: .active, padding: .reflect, into: y)
        let grads = try shift2dBackward(gradOutput: y, input: x, shifts: shifts, padding: .reflect)
        let dx: CUDATensor<Float> = grads.input, ds: CUDATensor<Float>? = grads.shifts
        let back: Tensor<Float> = try y.host()
        #expect(back.shape == [4, 16, 20, 20] && dx.shape == [4, 16, 20, 20] && ds?.shape == [16, 2])
        #expect(back.isApproximatelyEqual(to: try ShiftOps.shift2d(x.host(), shifts: hostShifts, padding: .reflect), tolerance: 1e-5))
        let cpu = try ShiftOps.shift2dBackward(gradOutput: back, input: x.host(), shifts: hostShifts, padding: .reflect)
        let gpu = try grads.host()
        #expect(gpu.input.isApproximatelyEqual(to: cpu.input, tolerance: 1e-5))
        #expect(gpu.shifts!.isApproximatelyEqual(to: cpu.shifts!, tolerance: 1e-4))
        #expect(try CUDABackend.shared().description.contains("libshiftcuda.so"))
    }

    @Test func errorsAreSwiftErrors() throws {
        let x = try CUDATensor(try Tensor<Float>(shape: [1, 2, 4, 4]))
        #expect(throws: ShiftOpsError.self) { try shift2d(x, shifts: Tensor<Float>(shape: [3, 2])) }
        #expect(throws: ShiftOpsError.self) { try shift3d(x, shifts: Tensor<Float>(shape: [2, 3])) }
        var bad = try Tensor<Float>(shape: [2, 2])
        bad[0, 0] = .nan
        #expect(throws: ShiftOpsError.self) { try shift2d(x, shifts: bad) }
        #expect(throws: ShiftOpsError.self) {
            try shift2dBackward(gradOutput: x, input: x, shifts: Tensor<Float>(shape: [2, 2]), geometry: ShiftGeometry(stride: 2))
        }
        // Out of memory is an error, not a crash.
        #expect(throws: ShiftOpsError.self) { try CUDATensor<Float>(shape: [1 << 40], order: [0]) }
    }

    /// Shifts on the device give the host-shift results; a NaN device shift makes its channel
    /// NaN in the output and both gradients, and leaves the other channels alone. A column-major
    /// device table reads as the row-major one.
    @Test func deviceShiftsAndNonFiniteChannels() throws {
        let xh = try Tensor<Float>.random(shape: [2, 3, 9, 10], seed: 11)
        var sh = try Tensor<Float>.random(shape: [3, 2], in: -2...2, seed: 12)
        let x = try CUDATensor(xh)
        let reference = try shift2d(x, shifts: sh, padding: .border).host()
        #expect(try shift2d(x, shifts: CUDATensor(sh), padding: .border).host().elements == reference.elements)
        let columnMajor = try CUDATensor(sh.dense(order: [1, 0]))
        #expect(columnMajor.dimensionOrder == [1, 0])
        #expect(try shift2d(x, shifts: columnMajor, padding: .border).host().elements == reference.elements)
        sh[1, 0] = .nan
        let y = try shift2d(x, shifts: CUDATensor(sh), padding: .zeros).host()
        let grads = try shift2dBackward(gradOutput: CUDATensor(y), input: x, shifts: CUDATensor(sh)).host()
        for n in 0..<2 {
            for h in 0..<9 {
                for w in 0..<10 {
                    #expect(y[n, 1, h, w].isNaN && grads.input[n, 1, h, w].isNaN)
                    #expect(!y[n, 0, h, w].isNaN && !y[n, 2, h, w].isNaN)
                }
            }
        }
        #expect(grads.shifts![1, 0].isNaN && grads.shifts![1, 1].isNaN && !grads.shifts![0, 0].isNaN)
    }

    /// Float16 storage computes in Float: the Float path on the same half-valued data, rounded
    /// once, within 2 Float16 ulps (the kernels give the same bits); shifts and their gradient
    /// stay Float.
    @Test func float16StorageMatchesTheFloatPath() throws {
        let x = try Tensor<Float>(shape: [2, 3, 8, 9], elements: (0..<432).map { Float(Float16(sin(Float($0) * 0.37))) })
        let s = try Tensor<Float>(shape: [3, 2], elements: [0.3, -1.25, 2.5, 0.75, -0.6, 1.1])
        let y32 = try shift2d(CUDATensor(x), shifts: s, padding: .symmetric).host()
        let x16 = try CUDATensor<Float16>(rounding: x)
        let y16 = try shift2d(x16, shifts: s, padding: .symmetric).host()
        #expect(GPUCheck.withinHalfUlps(y16, y32))
        let grads: CUDAShiftGradients<Float16> = try shift2dBackward(gradOutput: x16, input: x16, shifts: s, padding: .symmetric)
        let expected = try shift2dBackward(gradOutput: CUDATensor(x), input: CUDATensor(x), shifts: s, padding: .symmetric).host()
        let host = try grads.host()
        #expect(GPUCheck.withinHalfUlps(host.input, expected.input))
        #expect(host.shifts!.isApproximatelyEqual(to: expected.shifts!, tolerance: 1e-4))
        #expect(try x16.host().elements == x.elements)  // half-valued data survives the round trip exactly
    }

    /// The rank-generic forms read as on the CPU for 1-D and 3-D, with device shifts and
    /// preallocated outputs and gradients, and agree with the CPU.
    @Test func rankGenericOpsMatchTheCPU() throws {
        for shape in [[2, 3, 17], [1, 3, 4, 5, 6]] {
            let k = shape.count - 2
            let xh = try Tensor<Float>.random(shape: shape, seed: 60)
            let sh = try Tensor<Float>.random(shape: [3, k], in: -2...2, seed: 61)
            let x = try CUDATensor(xh), s = try CUDATensor(sh)
            let y = try CUDATensor<Float>(shape: shape)
            try shift(x, shifts: s, padding: .periodic, into: y)
            let cpu = try ShiftOps.shift(xh, shifts: sh, padding: .periodic)
            #expect(try y.host().isApproximatelyEqual(to: cpu, tolerance: 1e-5))
            let grads = CUDAShiftGradients(input: try CUDATensor<Float>(shape: shape), shifts: try CUDATensor<Float>(shape: [3, k]))
            try shiftBackward(gradOutput: y, input: x, shifts: s, padding: .periodic, into: grads)
            // Host shifts through the same door.
            let hostGrads = CUDAShiftGradients(input: try CUDATensor<Float>(shape: shape), shifts: try CUDATensor<Float>(shape: [3, k]))
            try shiftBackward(gradOutput: y, input: x, shifts: sh, padding: .periodic, into: hostGrads)
            #expect(try hostGrads.input.host().elements == grads.input.host().elements)
            let want = try ShiftOps.shiftBackward(gradOutput: cpu, input: xh, shifts: sh, padding: .periodic)
            let got = try grads.host()
            #expect(got.input.isApproximatelyEqual(to: want.input, tolerance: 1e-5))
            #expect(got.shifts!.isApproximatelyEqual(to: want.shifts!, tolerance: 1e-4))
        }
        #expect(throws: ShiftOpsError.self) { try shift(CUDATensor<Float>(shape: [2, 3]), shifts: Tensor<Float>(shape: [3, 1])) }
    }

    /// One rank's four public doors, each taking host or device shifts (`padding: .reflect`).
    struct RankDoors {
        let forward: (CUDATensor<Float>, any CUDAShiftSource<Float>) throws -> CUDATensor<Float>
        let forwardInto: (CUDATensor<Float>, any CUDAShiftSource<Float>, CUDATensor<Float>) throws -> Void
        let backward: (CUDATensor<Float>, CUDATensor<Float>, any CUDAShiftSource<Float>) throws -> CUDAShiftGradients<Float>
        let backwardInto: (CUDATensor<Float>, CUDATensor<Float>, any CUDAShiftSource<Float>, CUDAShiftGradients<Float>) throws -> Void

        /// `shift1d`'s doors for k = 1, `shift3d`'s for k = 3.
        static func of(rank k: Int) -> RankDoors {
            k == 1
                ? RankDoors(forward: { try shift1d($0, shifts: $1, padding: .reflect) },
                            forwardInto: { try shift1d($0, shifts: $1, padding: .reflect, into: $2) },
                            backward: { try shift1dBackward(gradOutput: $0, input: $1, shifts: $2, padding: .reflect) },
                            backwardInto: { try shift1dBackward(gradOutput: $0, input: $1, shifts: $2, padding: .reflect, into: $3) })
                : RankDoors(forward: { try shift3d($0, shifts: $1, padding: .reflect) },
                            forwardInto: { try shift3d($0, shifts: $1, padding: .reflect, into: $2) },
                            backward: { try shift3dBackward(gradOutput: $0, input: $1, shifts: $2, padding: .reflect) },
                            backwardInto: { try shift3dBackward(gradOutput: $0, input: $1, shifts: $2, padding: .reflect, into: $3) })
        }
    }

    /// The 1-D and 3-D device-shift and `into:` forms give what the host-shift allocating forms give.
    @Test(arguments: [1, 3])
    func deviceShiftAndIntoFormsOfEveryRank(k: Int) throws {
        let shape = k == 1 ? [2, 3, 17] : [2, 3, 4, 5, 6]
        let x = try CUDATensor(try Tensor<Float>.random(shape: shape, seed: 1))
        let hostShifts = try Tensor<Float>.random(shape: [3, k], in: -2...2, seed: 2)
        let deviceShifts = try CUDATensor(hostShifts)
        let g = try CUDATensor(try Tensor<Float>.random(shape: shape, seed: 3))
        let expected = try shift(x, shifts: hostShifts, padding: .reflect).host()
        let expectedGradients = try shiftBackward(gradOutput: g, input: x, shifts: hostShifts, padding: .reflect).host()
        let y = try CUDATensor<Float>(shape: shape), yd = try CUDATensor<Float>(shape: shape)
        let grads = CUDAShiftGradients(input: try CUDATensor<Float>(shape: shape), shifts: try CUDATensor<Float>(shape: [3, k]))
        let gradsDevice = CUDAShiftGradients(input: try CUDATensor<Float>(shape: shape), shifts: try CUDATensor<Float>(shape: [3, k]))
        let doors = RankDoors.of(rank: k)
        let fromDevice = try doors.forward(x, deviceShifts).host()
        try doors.forwardInto(x, hostShifts, y)
        try doors.forwardInto(x, deviceShifts, yd)
        let gradientsFromDevice = try doors.backward(g, x, deviceShifts).host()
        try doors.backwardInto(g, x, hostShifts, grads)
        try doors.backwardInto(g, x, deviceShifts, gradsDevice)
        for result in [fromDevice, try y.host(), try yd.host()] { #expect(result.elements == expected.elements) }
        for result in [gradientsFromDevice, try grads.host(), try gradsDevice.host()] {
            #expect(result.input.elements == expectedGradients.input.elements)
            #expect(result.shifts?.elements == expectedGradients.shifts?.elements)
        }
    }

    /// The `into:` forms write an existing tensor, which every reference to it sees; they refuse
    /// a wrong shape or an aliased output and then leave it untouched.
    @Test func intoFormsWriteExistingTensors() throws {
        let xh = try Tensor<Float>.random(shape: [2, 4, 7, 5], seed: 13)
        let s = try Tensor<Float>.random(shape: [4, 2], in: -1...1, seed: 14)
        let x = try CUDATensor(xh)
        let out = try CUDATensor<Float>(shape: [2, 4, 7, 5])
        let sameMemory = out
        try shift2d(x, shifts: s, padding: .periodic, into: out)
        #expect(try sameMemory.host().elements == shift2d(x, shifts: s, padding: .periodic).host().elements)
        let before = try out.host().elements
        let wrong = try CUDATensor<Float>(shape: [2, 4, 7, 6])
        #expect(throws: ShiftOpsError.self) { try shift2d(x, shifts: s, into: wrong) }
        let aliased = x
        #expect(throws: ShiftOpsError.self) { try shift2d(x, shifts: s, into: aliased) }
        #expect(try out.host().elements == before)
        let copy = try CUDATensor<Float>(shape: xh.shape)
        try x.copy(into: copy)
        #expect(try copy.host().elements == xh.elements)
        // An independent copy: a write into it leaves the original alone.
        let independent = try x.copy()
        try shift2d(CUDATensor(xh), shifts: s, padding: .border, into: independent)
        #expect(try x.host().elements == xh.elements)
    }
}
#else
/// Built without the CUDA trait: say so, so that nobody mistakes a CPU-only run for a GPU check.
@Suite struct CUDATraitTests {
    @Test(.disabled("built without --traits CUDA: the CUDA backend is not compiled in this run"))
    func cudaBackend() {}
}
#endif
