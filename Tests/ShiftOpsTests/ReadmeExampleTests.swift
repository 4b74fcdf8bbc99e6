import Testing
import ShiftOps

/// The README's examples, as written there, so that they keep compiling and doing what they say.
@Suite struct ReadmeExampleTests {
    @Test(.tags(.slow), .skippedInFastLane) func apiExample() throws {
        let x = try Tensor<Float>.random(shape: [8, 64, 56, 56], seed: 1)
        let shifts = try Tensor<Float>.random(shape: [64, 2], in: -1.5...1.5, seed: 2)
        let y = try shift2d(x, shifts: shifts, mode: .active, padding: .reflect)
        let g = try Tensor<Float>.random(shape: y.shape, seed: 3)
        let grads = try shift2dBackward(gradOutput: g, input: x, shifts: shifts, mode: .active, padding: .reflect)
        #expect(y.shape == [8, 64, 56, 56] && grads.input.shape == x.shape && grads.shifts?.shape == [64, 2])
        let geometry = try ShiftGeometry.convolution(kernelSize: 3, padding: 1, stride: 2, inputSize: [56, 56])
        let z = try shift2d(x, shifts: shifts, geometry: geometry)
        #expect(z.shape == [8, 64, 28, 28])
        let q = try Tensor<Int8>(shape: [1, 64, 56, 56])
        let qy = try shift2d(q, shifts: shifts, mode: .sparse, fill: -3)
        #expect(qy.shape == q.shape && qy.elements.contains(-3))
    }

    @Test(.tags(.slow), .skippedInFastLane) func trainingLoopExample() throws {
        var shift = try ShiftLayer<Float>(replacingDepthwiseConvolutionWith: 64, spatialRank: 2,
                                          kernelSize: 3, convolutionPadding: 1, padding: .zeros, mode: .active, seed: 42)
        shift.gradientOptions = ShiftGradientOptions(sparsity: 1e-4, scaling: .normalize)
        var optimizer = SGD<Float>(learningRate: 0.01, momentum: 0.9, weightDecay: 0)
        let x = try Tensor<Float>.random(shape: [8, 64, 32, 32], seed: 1)
        let y = try shift(x)
        let gradY = try Tensor<Float>.random(shape: y.shape, seed: 2)
        shift.zeroGradient()
        let gradX = try shift.backward(gradOutput: gradY, input: x)
        let before = shift.shifts
        try optimizer.step(&shift, path: "shift")
        #expect(y.shape == [8, 64, 32, 32] && gradX.shape == x.shape)
        // Normalised gradients move each channel by exactly the learning rate (first step).
        for c in 0..<64 {
            let dy = shift.shifts[c, 0] - before[c, 0], dx = shift.shifts[c, 1] - before[c, 1]
            #expect(abs((dy * dy + dx * dx).squareRoot() - 0.01) < 1e-4)
        }
    }
}
