import ShiftOps

/// The 3x3 depthwise convolution written straight from its formula, in `Double`: the check on the
/// library's depthwise kernel in the tests and in the benchmark.
public enum ReferenceDepthwise {
    /// `y[n, c, i, j] = sum over a, b of w[c, a, b] * x[n, c, i*stride - padding + a, j*stride - padding + b]`,
    /// with zeros outside the input.
    ///
    /// - Parameters:
    ///   - x: `[N, C, H, W]`, any layout.
    ///   - weight: `[C, 3, 3]`.
    ///   - padding: zeros added on every side, at least 0.
    ///   - stride: the step between outputs, at least 1.
    /// - Returns: `[N, C, (H + 2 padding - 3) / stride + 1, (W + 2 padding - 3) / stride + 1]`, dense,
    ///   computed in `Double` and rounded once to `T`.
    public static func forward<T: ShiftFloatingPoint>(_ x: Tensor<T>, weight: Tensor<T>, padding: Int = 1,
                                                      stride: Int = 1) -> Tensor<T> {
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let outputHeight = (height + 2 * padding - 3) / stride + 1, outputWidth = (width + 2 * padding - 3) / stride + 1
        let input = x.elements.map(Double.init), w = weight.elements.map(Double.init)
        var y = [Double]()
        y.reserveCapacity(batch * channels * outputHeight * outputWidth)
        for n in 0..<batch {
            for c in 0..<channels {
                let plane = (n * channels + c) * height * width
                for i in 0..<outputHeight {
                    for j in 0..<outputWidth {
                        var sum = 0.0
                        for a in 0..<3 {
                            for b in 0..<3 {
                                let (r, q) = (i * stride - padding + a, j * stride - padding + b)
                                if r >= 0 && r < height && q >= 0 && q < width {
                                    sum += w[c * 9 + a * 3 + b] * input[plane + r * width + q]
                                }
                            }
                        }
                        y.append(sum)
                    }
                }
            }
        }
        return try! Tensor(shape: [batch, channels, outputHeight, outputWidth], elements: y.map { T($0) })
    }
}
