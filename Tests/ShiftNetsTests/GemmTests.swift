import Testing
import ShiftOps
@testable import ShiftNets

@Suite struct GemmTests {
    @Test(arguments: [(1, 1, 1), (5, 7, 3), (9, 300, 17), (4, 256, 8), (13, 513, 2)])
    func matchesTheDefinition(shape: (Int, Int, Int)) throws {
        let (m, n, k) = shape
        for transposeA in [false, true] {
            let a = try Tensor<Double>.random(shape: [m * k], seed: 1).elements
            let b = try Tensor<Double>.random(shape: [k * n], seed: 2).elements
            var c = try Tensor<Double>.random(shape: [m * n], seed: 3).elements
            let start = c
            for accumulate in [false, true] {
                c = start
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: transposeA ? m : k, transposeA: transposeA,
                                 b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n, accumulate: accumulate)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        var s = accumulate ? start[i * n + j] : 0
                        for p in 0..<k { s += (transposeA ? a[p * m + i] : a[i * k + p]) * b[p * n + j] }
                        #expect(abs(c[i * n + j] - s) < 1e-12, "\(i),\(j)")
                    }
                }
            }
        }
    }

    @Test func convolutionBitsDoNotDependOnTheThreadCount() throws {
        let x = try Tensor<Float>.random(shape: [6, 8, 9, 9], seed: 4)
        let g = try Tensor<Float>.random(shape: [6, 12, 5, 5], seed: 5)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            let conv = try Conv2d<Float>(inChannels: 8, outChannels: 12, kernelSize: 3, stride: 2, padding: 1, groups: 2, seed: 6)
            let bn = try BatchNorm2d<Float>(channels: 12)
            let out = try Parallelism.$threadLimit.withValue(threads) { () throws -> [Float] in
                let y = try bn.forward(conv.forward(x))
                let gx = try conv.backward(bn.backward(g))
                return y.elements + gx.elements + conv.weight.gradient.elements + bn.weight.gradient.elements
            }
            results.append(out)
        }
        #expect(results[0] == results[1])
        #expect(results[0] == results[2])
    }
}
