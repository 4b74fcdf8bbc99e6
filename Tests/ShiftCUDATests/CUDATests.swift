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
/// against finite differences, bitwise determinism and 64-bit indexing (SPEC §8): the checks of
/// `shiftops check --device cuda`, which the GPU bundle runs where no Swift toolchain is.
@Suite(.enabled(if: gpuAvailable, "needs an NVIDIA GPU and CKernels/libshiftcuda.so"))
struct CUDAParityTests {
    @Test func gpuMatchesTheCPU() throws {
        let outcome = try GPUCheck.run(progress: { print($0) })
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.passed > 1000)
    }

    @Test func readmeExample() throws {
        let x = try CUDATensor(try Tensor<Float>.random(shape: [4, 16, 20, 20], seed: 1))
        let shifts = try Tensor<Float>.random(shape: [16, 2], in: -1.5...1.5, seed: 2)
        let y = try shift2d(x, shifts: shifts, mode: .active, padding: .reflect)
        let grads = try shift2dBackward(gradOutput: y, input: x, shifts: shifts, padding: .reflect)
        let back: Tensor<Float> = try y.host()
        #expect(back.shape == [4, 16, 20, 20] && grads.shifts?.shape == [16, 2])
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
        #expect(throws: ShiftOpsError.self) { try CUDATensor<Float>(shape: [1 << 40], dimensionOrder: [0]) }
    }
}
#else
/// Built without the CUDA trait: say so, so that nobody mistakes a CPU-only run for a GPU check.
@Suite struct CUDATraitTests {
    @Test(.disabled("built without --traits CUDA: the CUDA backend is not compiled in this run"))
    func cudaBackend() {}
}
#endif
