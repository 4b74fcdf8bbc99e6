import Testing
import ShiftOps
import ShiftOpsTestSupport

/// The depthwise convolution against a direct evaluation of its formula.
@Suite struct DepthwiseTests {
    @Test(arguments: [(1, 1), (0, 1), (2, 1), (1, 2), (0, 3)])
    func forwardAndGradients(padding: Int, stride: Int) throws {
        for shape in [[2, 3, 7, 9], [1, 2, 3, 3], [1, 1, 16, 20]] {
            let x = try Tensor<Double>.random(shape: shape, seed: 1)
            let w = try Tensor<Double>.random(shape: [shape[1], 3, 3], seed: 2)
            let y = try depthwiseConv2d(x, weight: w, padding: padding, stride: stride)
            expectClose(y, ReferenceDepthwise.forward(x, weight: w, padding: padding, stride: stride), tolerance: 1e-14, "\(shape)")
            let g = try Tensor<Double>.random(shape: y.shape, seed: 3)
            let gradients = try depthwiseConv2dBackward(gradOutput: g, input: x, weight: w, padding: padding, stride: stride)
            // The adjoint identity in x, and <g, y> is linear in w: its gradient is exact.
            let v = try Tensor<Double>.random(shape: shape, seed: 4)
            let lhs = dot(g, try depthwiseConv2d(v, weight: w, padding: padding, stride: stride))
            #expect(abs(lhs - dot(gradients.input, v)) <= 1e-12 * max(abs(lhs), 1))
            let u = try Tensor<Double>.random(shape: w.shape, seed: 5)
            let lhsW = dot(g, try depthwiseConv2d(x, weight: u, padding: padding, stride: stride))
            #expect(abs(lhsW - dot(gradients.weight, u)) <= 1e-12 * max(abs(lhsW), 1))
        }
    }

    @Test func errors() throws {
        let x = try Tensor<Float>(shape: [1, 2, 4, 4])
        #expect(throws: ShiftOpsError.self) { try depthwiseConv2d(x, weight: Tensor<Float>(shape: [3, 3, 3])) }
        #expect(throws: ShiftOpsError.self) { try depthwiseConv2d(x, weight: Tensor<Float>(shape: [2, 3, 3]), stride: 0) }
        #expect(throws: ShiftOpsError.self) { try depthwiseConv2d(Tensor<Float>(shape: [1, 2, 1, 1]), weight: Tensor<Float>(shape: [2, 3, 3]), padding: 0) }
    }
}
