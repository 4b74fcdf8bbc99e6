import ShiftOps

/// The 3x3 depthwise convolution written the obvious way, to check the fast kernel in the
/// benchmark before it posts a time.
enum NaiveDepthwise {
    /// `[N, C, H, W]` dense input, `[C, 3, 3]` dense weight, zero padding 1, stride 1.
    static func forward<T: ShiftFloatingPoint>(_ x: [T], shape: [Int], weight: [T]) -> [T] {
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        var y = [T](repeating: 0, count: x.count)
        for n in 0..<batch {
            for c in 0..<channels {
                let plane = (n * channels + c) * height * width
                for i in 0..<height {
                    for j in 0..<width {
                        var sum: T = 0
                        for a in 0..<3 {
                            for b in 0..<3 {
                                let (r, q) = (i - 1 + a, j - 1 + b)
                                if r >= 0 && r < height && q >= 0 && q < width {
                                    sum += weight[c * 9 + a * 3 + b] * x[plane + r * width + q]
                                }
                            }
                        }
                        y[plane + i * width + j] = sum
                    }
                }
            }
        }
        return y
    }
}
