import Foundation
import Testing
import ShiftOps
#if CUDA
@testable import ShiftCUDA

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

/// CUDA against the CPU for every mode x padding x rank x stride x layout (SPEC §8).
@Suite(.enabled(if: gpuAvailable, "needs an NVIDIA GPU and CKernels/libshiftcuda.so"))
struct CUDAParityTests {
    static let geometries = [ShiftGeometry.identity, ShiftGeometry(stride: 2), ShiftGeometry(stride: [1], origin: [2], outputSize: nil)]

    func shape(_ k: Int) -> [Int] { [2, 5] + [[37], [9, 13], [4, 6, 7]][k - 1] }

    @Test(arguments: 1...3)
    func forwardAndBackwardMatchTheCPU(k: Int) throws {
        for mode in ShiftMode.allCases {
            for padding in ShiftPadding.allCases {
                for geometry in Self.geometries {
                    let x = try Tensor<Float>.random(shape: shape(k), seed: 1)
                    var s = try Tensor<Float>.random(shape: [5, k], in: -3...3, seed: 2)
                    if mode == .grouped { s = try Tensor(shape: s.shape, elements: s.elements.map { $0.rounded() }) }
                    let cpu = try cpuForward(k, x, s, mode, padding, geometry)
                    for layout in [x, try x.channelsLast()] {
                        let device = try CUDATensor(layout)
                        let y = try gpuForward(k, device, s, mode, padding, geometry)
                        #expect(y.dimensionOrder == layout.dimensionOrder)
                        #expect(try y.host().isApproximatelyEqual(to: cpu, tolerance: 1e-5), "\(k)-D \(mode) \(padding) \(geometry)")
                        let g = try Tensor<Float>.random(shape: cpu.shape, seed: 3)
                        let cpuGradients = try cpuBackward(k, g, x, s, mode, padding, geometry)
                        let gpuGradients = try gpuBackward(k, try CUDATensor(g), device, s, mode, padding, geometry)
                        #expect(try gpuGradients.input.host().isApproximatelyEqual(to: cpuGradients.input, tolerance: 1e-5))
                        if let shifts = cpuGradients.shifts {
                            #expect(gpuGradients.shifts!.isApproximatelyEqual(to: shifts, tolerance: 1e-4))
                        } else {
                            #expect(gpuGradients.shifts == nil)
                        }
                    }
                }
            }
        }
    }

    @Test func doubleGradientsMatchFiniteDifferences() throws {
        let x = try Tensor<Double>.random(shape: [2, 3, 11, 9], seed: 4)
        let s = try Tensor<Double>(shape: [3, 2], elements: [0.3, -1.7, 2.4, 0.6, -0.2, 1.1])
        let g = try Tensor<Double>.random(shape: x.shape, seed: 5)
        let analytic = try shift2dBackward(gradOutput: CUDATensor(g), input: CUDATensor(x), shifts: s, padding: .symmetric).shifts!
        func objective(_ shifts: Tensor<Double>) throws -> Double {
            let y = try shift2d(CUDATensor(x), shifts: shifts, padding: .symmetric).host()
            return zip(y.elements, g.elements).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for c in 0..<3 {
            for j in 0..<2 {
                var plus = s, minus = s
                plus[c, j] += 1e-6
                minus[c, j] -= 1e-6
                let numeric = (try objective(plus) - objective(minus)) / 2e-6
                #expect(abs(numeric - analytic[c, j]) <= 1e-6 * max(abs(numeric), 1))
            }
        }
    }

    @Test func resultsAreBitwiseDeterministic() throws {
        let x = try CUDATensor(try Tensor<Float>.random(shape: [8, 16, 33, 35], seed: 6))
        let s = try Tensor<Float>.random(shape: [16, 2], in: -2...2, seed: 7)
        let g = try CUDATensor(try Tensor<Float>.random(shape: [8, 16, 33, 35], seed: 8))
        let first = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: .reflect)
        for _ in 0..<3 {
            let again = try shift2dBackward(gradOutput: g, input: x, shifts: s, padding: .reflect)
            #expect(try again.input.host().elements == first.input.host().elements)
            #expect(again.shifts!.elements == first.shifts!.elements)
        }
    }

    @Test func largeTensorsUse64BitIndices() throws {
        // 2^31 + a bit elements of indexing: [1, 1, 2^31 + 64] would need 8 GiB of Float; use a
        // channel stride that pushes offsets past 2^31 instead when memory is short.
        let backend = try CUDABackend.shared()
        let count = (1 << 31) + 4096
        guard backend.memoryBytes > 3 * count * MemoryLayout<Float>.stride else {
            print("ShiftCUDA: skipped the 2^31-element test: \(backend.memoryBytes >> 30) GiB is too little")
            return
        }
        var host = try Tensor<Float>(shape: [1, 1, count], repeating: 0)
        host[0, 0, count - 1] = 7
        let y = try shift1d(CUDATensor(host), shifts: Tensor<Float>(shape: [1, 1], elements: [-1]))
        try backend.synchronize()
        let back = try y.host()
        #expect(back[0, 0, count - 2] == 7 && back[0, 0, count - 1] == 0)
    }

    @Test func errorsAreSwiftErrors() throws {
        let x = try CUDATensor(try Tensor<Float>(shape: [1, 2, 4, 4]))
        #expect(throws: ShiftOpsError.self) { try shift2d(x, shifts: Tensor<Float>(shape: [3, 2])) }
        #expect(throws: ShiftOpsError.self) { try shift3d(x, shifts: Tensor<Float>(shape: [2, 3])) }
        var bad = try Tensor<Float>(shape: [2, 2])
        bad[0, 0] = .nan
        #expect(throws: ShiftOpsError.self) { try shift2d(x, shifts: bad) }
        #expect(throws: ShiftOpsError.self) { try shift2dBackward(gradOutput: x, input: x, shifts: Tensor<Float>(shape: [2, 2]), geometry: ShiftGeometry(stride: 2)) }
        // Out of memory is an error, not a crash.
        #expect(throws: ShiftOpsError.self) { try CUDATensor<Float>(shape: [1 << 40], dimensionOrder: [0]) }
    }

    func cpuForward<T: CUDAFloatingPoint>(_ k: Int, _ x: Tensor<T>, _ s: Tensor<T>, _ mode: ShiftMode, _ padding: ShiftPadding, _ geometry: ShiftGeometry) throws -> Tensor<T> {
        switch k {
        case 1: try ShiftOps.shift1d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        case 2: try ShiftOps.shift2d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        default: try ShiftOps.shift3d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        }
    }

    func gpuForward<T: CUDAFloatingPoint>(_ k: Int, _ x: CUDATensor<T>, _ s: Tensor<T>, _ mode: ShiftMode, _ padding: ShiftPadding, _ geometry: ShiftGeometry) throws -> CUDATensor<T> {
        switch k {
        case 1: try shift1d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        case 2: try shift2d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        default: try shift3d(x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        }
    }

    func cpuBackward<T: CUDAFloatingPoint>(_ k: Int, _ g: Tensor<T>, _ x: Tensor<T>, _ s: Tensor<T>, _ mode: ShiftMode, _ padding: ShiftPadding, _ geometry: ShiftGeometry) throws -> ShiftGradients<T> {
        switch k {
        case 1: try ShiftOps.shift1dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        case 2: try ShiftOps.shift2dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        default: try ShiftOps.shift3dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        }
    }

    func gpuBackward<T: CUDAFloatingPoint>(_ k: Int, _ g: CUDATensor<T>, _ x: CUDATensor<T>, _ s: Tensor<T>, _ mode: ShiftMode, _ padding: ShiftPadding, _ geometry: ShiftGeometry) throws -> (input: CUDATensor<T>, shifts: Tensor<T>?) {
        switch k {
        case 1: try shift1dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        case 2: try shift2dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        default: try shift3dBackward(gradOutput: g, input: x, shifts: s, mode: mode, padding: padding, geometry: geometry)
        }
    }
}
#else
/// Built without the CUDA trait: say so, so that nobody mistakes a CPU-only run for a GPU check.
@Suite struct CUDATraitTests {
    @Test(.disabled("built without --traits CUDA: the CUDA backend is not compiled in this run"))
    func cudaBackend() {}
}
#endif
