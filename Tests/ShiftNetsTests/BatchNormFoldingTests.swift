import Testing
import ShiftOps
@testable import ShiftNets

/// Evaluation mode folds a BN into the convolution before it: the folded path against the layers
/// run one by one, and the saved parameters left alone.
@Suite struct BatchNormFoldingTests {
    /// A BN whose every statistic and parameter differs from its defaults, so that a fold which
    /// drops or misplaces any of them shows.
    private func trainedBatchNorm(_ channels: Int) throws -> BatchNorm2d<Float> {
        let bn = try BatchNorm2d<Float>(channels: channels)
        bn.weight.value = try Tensor<Float>.random(shape: [channels], in: 0.5...2, seed: 11)
        bn.bias.value = try Tensor<Float>.random(shape: [channels], seed: 12)
        bn.runningMean.value = try Tensor<Float>.random(shape: [channels], seed: 13)
        bn.runningVar.value = try Tensor<Float>.random(shape: [channels], in: 0.2...3, seed: 14)
        return bn
    }

    @Test(arguments: [(1, 1, 0, false), (3, 2, 1, true), (3, 1, 1, false)])
    func aFoldedConvolutionEqualsConvThenBatchNormThenReLU(kernel: Int, stride: Int, padding: Int, bias: Bool) throws {
        let conv = try Conv2d<Float>(inChannels: 4, outChannels: 6, kernelSize: kernel, stride: stride, padding: padding,
                                     bias: bias, seed: 5)
        if let b = conv.bias { b.value = try Tensor<Float>.random(shape: [6], seed: 6) }
        let bn = try trainedBatchNorm(6)
        let x = try Tensor<Float>.random(shape: [3, 4, 9, 8], seed: 7)
        for relu in [false, true] {
            let layers: [(String, Module<Float>)] = [("conv", conv), ("bn", bn)] + (relu ? [("relu", ReLU<Float>())] : [])
            let net = Sequential<Float>(layers)
            net.eval()
            var expected = try bn.forward(conv.forward(x))
            if relu { expected = try ReLU<Float>().forward(expected) }
            let weights = conv.weight.value.elements
            let folded = try net.forward(x)
            #expect(folded.shape == expected.shape)
            let error = zip(folded.elements, expected.elements).map { abs($0 - $1) }.max()!
            #expect(error < 1e-5, "largest difference \(error), relu \(relu)")
            #expect(conv.weight.value.elements == weights, "the fold leaves the saved weights alone")
            if relu { #expect(folded.elements.contains(0)) }
        }
    }

    @Test func aWholeNetworkInEvaluationModeMatchesItsUnfoldedLayers() throws {
        let shift = try Architecture.shiftResNet(depth: 8, expansion: 3)
        for architecture in [shift, shift.fusingShiftAndPointwise(), try Architecture.resNet(depth: 8)] {
            let model: Module<Float> = try architecture.build(seed: 1)
            // A few training forwards move every BN's running statistics away from 0 and 1.
            for seed in 0..<3 { _ = try model.forward(Tensor<Float>.random(shape: [4, 3, 32, 32], seed: UInt64(seed))) }
            model.eval()
            let x = try Tensor<Float>.random(shape: [2, 3, 32, 32], seed: 9)
            let folded = try model.forward(x)
            // The finite check runs every layer on its own.
            let unfolded = try model.forward(x, checkingFinite: true)
            let scale = unfolded.elements.map(abs).max()!
            let error = zip(folded.elements, unfolded.elements).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-4 * Swift.max(scale, 1), "\(architecture.name): largest difference \(error)")
        }
    }
}
