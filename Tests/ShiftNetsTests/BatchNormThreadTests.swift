import Testing
import ShiftOps
@testable import ShiftNets

/// Batch normalisation's vectorised statistics and backward sums: the same bits on one thread and
/// on two, and the statistics against a plain double-precision sum.
@Suite struct BatchNormThreadTests {
    /// Everything a training step of one BN layer produces, for `threads` threads.
    private func step(_ x: Tensor<Float>, _ g: Tensor<Float>, relu: Bool, threads: Int) throws -> [[Float]] {
        try Parallelism.$threadLimit.withValue(threads) {
            let c = x.shape[1]
            let bn = try BatchNorm2d<Float>(channels: c)
            bn.weight.value = try Tensor<Float>.random(shape: [c], seed: 3)
            bn.bias.value = try Tensor<Float>.random(shape: [c], seed: 4)
            let y = try bn.forward(x, fusingReLU: relu)
            let gx = try bn.backward(g)
            return [y.elements, gx.elements, bn.weight.gradient.elements, bn.bias.gradient.elements,
                    bn.runningMean.value.elements, bn.runningVar.value.elements]
        }
    }

    @Test(arguments: [[5, 6, 9, 7], [3, 4, 16, 16], [2, 3, 1, 40]])
    func oneAndTwoThreadsGiveTheSameBits(shape: [Int]) throws {
        let x = try Tensor<Float>.random(shape: shape, in: -2...3, seed: 1)
        let g = try Tensor<Float>.random(shape: shape, seed: 2)
        for relu in [false, true] {
            let one = try step(x, g, relu: relu, threads: 1), two = try step(x, g, relu: relu, threads: 2)
            for (a, b) in zip(one, two) {
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "shape \(shape), relu \(relu)")
            }
        }
    }

    @Test func statisticsMatchADoubleReference() throws {
        // An offset mean makes a careless variance lose digits.
        let shape = [4, 3, 11, 13]
        let x = try Tensor<Float>.random(shape: shape, in: 9...11, seed: 7)
        let bn = try BatchNorm2d<Float>(channels: 3, momentum: 1)
        _ = try bn.forward(x)
        let values = x.elements, plane = 11 * 13
        for ch in 0..<3 {
            var picked: [Double] = []
            for image in 0..<4 { picked += values[(image * 3 + ch) * plane ..< (image * 3 + ch + 1) * plane].map(Double.init) }
            let mean = picked.reduce(0, +) / Double(picked.count)
            let unbiased = picked.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(picked.count - 1)
            #expect(abs(Double(bn.runningMean.value.elements[ch]) - mean) < 1e-5 * mean)
            #expect(abs(Double(bn.runningVar.value.elements[ch]) - unbiased) < 1e-4 * unbiased)
        }
    }
}
