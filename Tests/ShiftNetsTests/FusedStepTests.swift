import Testing
import ShiftOps
@testable import ShiftNets

/// The one-pass steps of a residual block (BN + ReLU, residual add + ReLU) against the layers run
/// one after the other, and their NaN handling. Their gradients are also checked against finite
/// differences by `LayerGradientTests.residualBlocks`.
@Suite struct FusedStepTests {
    @Test func batchNormWithReLUEqualsTheTwoLayers() throws {
        let x = try Tensor<Float>.random(shape: [4, 5, 6, 7], seed: 1)
        let g = try Tensor<Float>.random(shape: x.shape, seed: 2)
        func layer() throws -> BatchNorm2d<Float> {
            let bn = try BatchNorm2d<Float>(channels: 5)
            bn.weight.value = try Tensor<Float>.random(shape: [5], seed: 3)
            bn.bias.value = try Tensor<Float>.random(shape: [5], seed: 4)
            return bn
        }
        let (bn, relu, fused) = (try layer(), ReLU<Float>(), try layer())
        let y = try relu.forward(bn.forward(x))
        let yFused = try fused.forward(x, fusingReLU: true)
        #expect(yFused.elements == y.elements)
        #expect(y.elements.contains(0) && y.elements.contains { $0 > 0 }, "the ReLU cuts some values and keeps others")
        let gx = try bn.backward(relu.backward(g))
        let gxFused = try fused.backward(g)
        #expect(gxFused.elements == gx.elements)
        #expect(fused.weight.gradient.elements == bn.weight.gradient.elements)
        #expect(fused.bias.gradient.elements == bn.bias.gradient.elements)
        #expect(fused.runningMean.value.elements == bn.runningMean.value.elements)
    }

    @Test func theFusedReLUsKeepNaN() throws {
        var values = try Tensor<Float>.random(shape: [2, 3, 4, 4], seed: 5).elements
        values[7] = .nan
        let x = try Tensor<Float>(shape: [2, 3, 4, 4], elements: values)
        let bn = try BatchNorm2d<Float>(channels: 3)
        bn.eval()
        let y = try bn.forward(x, fusingReLU: true).elements
        #expect(y[7].isNaN)
        #expect(y.enumerated().allSatisfy { $0.offset == 7 || ($0.element >= 0 && !$0.element.isNaN) })
        let sum = try addReLU(x, try Tensor<Float>(shape: x.shape, repeating: -10)).elements
        #expect(sum[7].isNaN)
        #expect(sum.enumerated().allSatisfy { $0.offset == 7 || $0.element == 0 })
        // The gradient passes where the output is NaN (PyTorch's rule), not where it is 0.
        let g = try reluGradient(try Tensor<Float>(shape: x.shape, repeating: 1), output: try Tensor(shape: x.shape, elements: sum))
        #expect(g.elements[7] == 1 && g.elements.filter { $0 != 0 }.count == 1)
    }

    @Test func aResidualBlockEqualsItsLayersRunOneByOne() throws {
        let conv1 = try Conv2d<Float>(inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, seed: 6)
        let bn1 = try BatchNorm2d<Float>(channels: 6), relu1 = ReLU<Float>()
        let conv2 = try Conv2d<Float>(inChannels: 6, outChannels: 4, kernelSize: 1, seed: 7)
        let block = ResidualBlock<Float>(main: [("conv1", conv1), ("bn1", bn1), ("relu1", relu1), ("conv2", conv2)], shortcut: nil)
        let copies = (try Conv2d<Float>(inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, seed: 6),
                      try BatchNorm2d<Float>(channels: 6), ReLU<Float>(),
                      try Conv2d<Float>(inChannels: 6, outChannels: 4, kernelSize: 1, seed: 7), ReLU<Float>())
        let x = try Tensor<Float>.random(shape: [3, 4, 5, 5], seed: 8)
        let g = try Tensor<Float>.random(shape: x.shape, seed: 9)
        let y = try block.forward(x)
        let body = try copies.3.forward(copies.2.forward(copies.1.forward(copies.0.forward(x))))
        let reference = try copies.4.forward(try Tensor(shape: x.shape, elements: zip(body.elements, x.elements).map { $0 + $1 }))
        #expect(y.elements == reference.elements)
        let gx = try block.backward(g)
        let gSum = try copies.4.backward(g)
        let gBody = try copies.0.backward(copies.1.backward(copies.2.backward(copies.3.backward(gSum))))
        // The block's first convolution adds its input gradient onto the shortcut's (no separate
        // sum), so the two agree within rounding rather than bit for bit.
        let separate = zip(gBody.elements, gSum.elements).map { $0 + $1 }
        #expect(zip(gx.elements, separate).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) })
        #expect(conv1.weight.gradient.elements == copies.0.weight.gradient.elements)
        #expect(bn1.weight.gradient.elements == copies.1.weight.gradient.elements)
    }

    /// Under a finite check the BN and its ReLU run apart: a BN output of -infinity, which the
    /// ReLU turns into 0, is still reported, naming the BN.
    @Test func aFiniteCheckSeesTheBatchNormBeforeItsReLU() throws {
        let bn1 = try BatchNorm2d<Float>(channels: 6)
        let block = ResidualBlock<Float>(main: [
            ("conv1", try Conv2d<Float>(inChannels: 4, outChannels: 6, kernelSize: 1, seed: 10)), ("bn1", bn1),
            ("relu1", ReLU<Float>()), ("conv2", try Conv2d<Float>(inChannels: 6, outChannels: 4, kernelSize: 1, seed: 11)),
        ], shortcut: nil)
        block.eval()
        var beta = bn1.bias.value.elements
        beta[2] = -.infinity
        bn1.bias.value = try Tensor(shape: [6], elements: beta)
        let x = try Tensor<Float>.random(shape: [2, 4, 3, 3], seed: 12)
        #expect(try block.forward(x).elements.allSatisfy(\.isFinite), "the ReLU hides the infinity")
        let error = #expect(throws: ShiftOpsError.self) { try block.forward(x, checkingFinite: true) }
        #expect(error?.message.contains("\"bn1\"") == true, "\(String(describing: error))")
    }
}
