import Foundation
import Testing
import ShiftOps
@testable import ShiftNets

/// The matrix product on each backend this machine has: the portable loops always, OpenBLAS, a
/// plain CBLAS or Accelerate when present (an absent one is printed, never skipped silently).
@Suite struct GemmBackendTests {
    /// The portable product and every BLAS found here.
    static var backends: [GemmBackend] {
        var found = [GemmBackend.portable]
        for kind in [GemmBackend.Kind.openBLAS, .blas, .accelerate] {
            if let backend = GemmBackend.load(kind) {
                found.append(backend)
            } else {
                print("GemmBackendTests: no \(kind.rawValue) on this machine (tried \(GemmBackend.candidates(kind))); its products are not tested here")
            }
        }
        return found
    }

    @Test func everyBackendMatchesTheDefinition() throws {
        for backend in Self.backends {
            for (m, n, k) in [(1, 1, 1), (5, 7, 3), (9, 300, 17), (13, 513, 2)] {
                for transposeA in [false, true] {
                    for transposeB in [false, true] {
                        for accumulate in [false, true] {
                            let a = try Tensor<Double>.random(shape: [m * k], seed: 1).elements
                            let b = try Tensor<Double>.random(shape: [k * n], seed: 2).elements
                            let start = try Tensor<Double>.random(shape: [m * n], seed: 3).elements
                            var c = start
                            a.withUnsafeBufferPointer { ap in
                                b.withUnsafeBufferPointer { bp in
                                    c.withUnsafeMutableBufferPointer { cp in
                                        gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: transposeA ? m : k, transposeA: transposeA,
                                             b: bp.baseAddress!, ldb: transposeB ? k : n, transposeB: transposeB,
                                             c: cp.baseAddress!, ldc: n, accumulate: accumulate, backend: backend)
                                    }
                                }
                            }
                            var worst = 0.0
                            for i in 0..<m {
                                for j in 0..<n {
                                    var s = accumulate ? start[i * n + j] : 0
                                    for p in 0..<k {
                                        s += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j])
                                    }
                                    worst = max(worst, abs(c[i * n + j] - s))
                                }
                            }
                            #expect(worst < 1e-12, "\(backend) \(m)x\(n)x\(k) transposeA \(transposeA) transposeB \(transposeB) accumulate \(accumulate)")
                        }
                    }
                }
            }
        }
    }

    /// A shift network step (the layers that call the product: convolutions, the fused shift and
    /// 1x1 convolution, the linear layer) gives the same bits with 1 and 2 threads on each backend.
    @Test(.tags(.slow), .skippedInFastLane) func bitsDoNotDependOnTheThreadCountOnAnyBackend() throws {
        // Three images of 12x12, two of 32x32 (cut into column blocks), and ten of 8x8 (weight
        // gradients summed over two chunks of images, 8 and 2).
        for x in [try Tensor<Float>.random(shape: [3, 3, 12, 12], seed: 4), try Tensor<Float>.random(shape: [2, 3, 32, 32], seed: 5),
                  try Tensor<Float>.random(shape: [10, 3, 8, 8], seed: 6)] {
            for backend in Self.backends {
                var results: [[Float]] = []
                for threads in [1, 2] {
                    let out = try GemmBackend.$override.withValue(backend) {
                        try Parallelism.$threadLimit.withValue(threads) { () throws -> [Float] in
                            try networkStep(x, fused: true)
                        }
                    }
                    results.append(out)
                }
                #expect(results[0] == results[1], "\(backend) \(x.shape)")
            }
        }
    }

    /// Each BLAS gives the portable product's numbers for a network step within rounding.
    @Test func backendsAgreeWithinRounding() throws {
        let x = try Tensor<Float>.random(shape: [3, 3, 12, 12], seed: 4)
        let reference = try GemmBackend.$override.withValue(.portable) { try networkStep(x, fused: false) }
        for backend in Self.backends where backend.kind != .portable {
            let other = try GemmBackend.$override.withValue(backend) { try networkStep(x, fused: false) }
            let scale = reference.map(abs).max()!
            let worst = zip(reference, other).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4 * scale, "\(backend): largest difference \(worst) of \(scale)")
            #expect(other != reference || backend.cblas == nil, "\(backend) ran the portable loops (every bit the same)")
        }
    }

    /// The output, input gradient and every parameter gradient of one training step of a small
    /// ShiftResNet (active shifts, fused or not) on `x`.
    func networkStep(_ x: Tensor<Float>, fused: Bool) throws -> [Float] {
        var architecture = try Architecture.shiftResNet(depth: 8, expansion: 2, shift: .active)
        if fused { architecture = architecture.fusingShiftAndPointwise() }
        let model: Module<Float> = try architecture.build(seed: 9)
        let y = try model.forward(x)
        let g = try Tensor<Float>.random(shape: y.shape, seed: 10)
        let gx = try model.backward(g)
        return y.elements + gx.elements + model.namedParameters().flatMap { $0.parameter.gradient.elements }
    }

    /// A batch of fewer than 8 images cuts each image's product into column blocks; a batch of 8
    /// does not. The first image's output must be the same either way: bitwise on the portable
    /// product (its sums run in order whatever the blocking), within rounding on a BLAS.
    @Test(arguments: [(3, 2, 1, 2, true), (1, 1, 0, 1, false), (1, 2, 0, 1, false)])
    func columnBlocksGiveTheWholeImagesNumbers(geometry: (kernel: Int, stride: Int, padding: Int, groups: Int, bias: Bool)) throws {
        let (side, channels) = (34, 4)
        let single = try Tensor<Float>.random(shape: [1, channels, side, side], seed: 21)
        let batch = try Tensor<Float>.random(shape: [8, channels, side, side], seed: 22)
        let merged = try Tensor<Float>(shape: batch.shape, elements: single.elements + batch.elements.dropFirst(single.count))
        let conv = try Conv2d<Float>(inChannels: channels, outChannels: 6, kernelSize: geometry.kernel, stride: geometry.stride,
                                     padding: geometry.padding, groups: geometry.groups, bias: geometry.bias, seed: 23)
        if let bias = conv.bias { bias.value = try Tensor<Float>.random(shape: [6], seed: 24) }
        let plane = conv.outputSize(side) * conv.outputSize(side)
        #expect(columnBlocks(images: 1, columns: plane) > 1 && columnBlocks(images: 8, columns: plane) == 1)
        for backend in Self.backends {
            let (alone, inBatch) = try GemmBackend.$override.withValue(backend) {
                (try conv.forward(single).elements, Array(try conv.forward(merged).elements.prefix(6 * plane)))
            }
            if backend.cblas == nil {
                #expect(alone == inBatch, "\(backend)")
            } else {
                let worst = zip(alone, inBatch).map { abs($0 - $1) }.max()!
                #expect(worst <= 1e-5, "\(backend): \(worst)")
            }
        }
    }

    @Test func theEnvironmentNamesTheBackend() throws {
        #expect(GemmBackend.named("portable")?.kind == .portable)
        #expect(GemmBackend.named("off")?.cblas == nil)
        #expect(GemmBackend.named("fastest") == nil)
        let missing = try #require(GemmBackend.named("/nonexistent/libcblas.so"))
        #expect(missing.kind == .portable && missing.note?.contains("/nonexistent/libcblas.so") == true)
        if let openBLAS = GemmBackend.load(.openBLAS) {
            #expect(GemmBackend.named("openblas")?.kind == .openBLAS)
            #expect(GemmBackend.named(openBLAS.library!)?.cblas != nil, "a library named by path")
            #expect(openBLAS.cblas?.singleThreaded == true, "OpenBLAS's own threads are turned off")
        } else {
            print("GemmBackendTests: no OpenBLAS on this machine; SHIFTOPS_BLAS=openblas gives \(GemmBackend.named("openblas")!)")
            #expect(GemmBackend.named("openblas")?.kind == .portable)
        }
        // The process's choice follows SHIFTOPS_BLAS (CI runs the suite with it set to portable).
        let variable = ProcessInfo.processInfo.environment["SHIFTOPS_BLAS"] ?? "auto"
        print("GemmBackendTests: SHIFTOPS_BLAS=\(variable), products on \(GemmBackend.selected)")
        if ["portable", "off", "none"].contains(variable) {
            #expect(GemmBackend.selected.cblas == nil)
        } else if variable == "auto" || variable.isEmpty {
            #expect(GemmBackend.selected.kind == (Self.backends.dropFirst().first?.kind ?? .portable))
        }
    }
}
