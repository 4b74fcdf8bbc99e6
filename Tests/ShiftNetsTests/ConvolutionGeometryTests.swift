import Testing
import ShiftOps
@testable import ShiftNets

/// Conv2d's forward (its im2col copy, which splits each kernel tap's columns into padding and a
/// copied span) against the definition, on geometries where the padding covers whole rows, whole
/// columns or the whole input, and on images cut into column blocks.
@Suite struct ConvolutionGeometryTests {
    @Test(arguments: [
        (3, 2, 1, [1, 2, 1, 1]), (3, 2, 1, [2, 2, 2, 3]), (3, 2, 1, [1, 2, 5, 7]), (3, 1, 1, [2, 2, 4, 4]),
        (1, 2, 0, [2, 2, 5, 6]), (5, 3, 2, [1, 2, 7, 4]), (3, 1, 2, [1, 2, 3, 2]), (3, 1, 1, [1, 2, 40, 40]),
    ])
    func matchesTheDefinition(kernel: Int, stride: Int, padding: Int, shape: [Int]) throws {
        let conv = try Conv2d<Float>(inChannels: shape[1], outChannels: 3, kernelSize: kernel, stride: stride,
                                     padding: padding, seed: 1)
        let x = try Tensor<Float>.random(shape: shape, seed: 2)
        let y = try conv.forward(x)
        let (h, w, ho, wo) = (shape[2], shape[3], conv.outputSize(shape[2]), conv.outputSize(shape[3]))
        #expect(y.shape == [shape[0], 3, ho, wo])
        let (xs, ws, ys) = (x.elements, conv.weight.value.elements, y.elements)
        var worst: Float = 0
        for n in 0..<shape[0] {
            for o in 0..<3 {
                for i in 0..<ho {
                    for j in 0..<wo {
                        var sum: Float = 0
                        for c in 0..<shape[1] {
                            for a in 0..<kernel {
                                for b in 0..<kernel {
                                    let (r, q) = (i * stride - padding + a, j * stride - padding + b)
                                    guard r >= 0, r < h, q >= 0, q < w else { continue }
                                    sum += ws[((o * shape[1] + c) * kernel + a) * kernel + b] * xs[((n * shape[1] + c) * h + r) * w + q]
                                }
                            }
                        }
                        worst = max(worst, abs(ys[((n * 3 + o) * ho + i) * wo + j] - sum))
                    }
                }
            }
        }
        #expect(worst <= 1e-5, "largest difference \(worst)")
    }
}
