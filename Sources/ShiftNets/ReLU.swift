import ShiftOps

/// `y = max(x, 0)` elementwise, NaN kept as NaN (as PyTorch's `relu`); the gradient passes where
/// the output is positive or NaN.
public final class ReLU<T: NetScalar>: Module<T> {
    private var savedOutput: Tensor<T>?

    /// A ReLU.
    public override init() {}

    /// Any shape to the same shape.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        let y = try Tensor<T>(shape: input.shape) { y in
            input.withDenseBuffer { x in
                // NaN fails every comparison: `x <= 0` is false for it, so it passes through
                // instead of becoming 0 and hiding that something upstream went wrong.
                for i in 0..<x.count { y[i] = x[i] <= 0 ? 0 : x[i] }
            }
        }
        savedOutput = isTraining ? y : nil
        return y
    }

    /// `g` where the output was positive or NaN, else 0 (PyTorch's threshold backward).
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        guard let y = savedOutput else {
            throw ShiftOpsError(.invalidArgument, argument: "forward", "backward needs a training-mode forward first")
        }
        guard gradOutput.shape == y.shape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput", "expected \(y.shape), got \(gradOutput.shape)")
        }
        return try Tensor<T>(shape: y.shape) { gx in
            y.withDenseBuffer { out in
                gradOutput.withDenseBuffer { g in
                    for i in 0..<g.count { gx[i] = out[i] <= 0 ? 0 : g[i] }
                }
            }
        }
    }

    /// No parameters or MACs; one comparison per element listed apart.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        rows.append(LayerCount(path: path, kind: "relu", outputShape: Array(shape.dropFirst()), parameters: 0, macs: 0,
                               otherOps: shape.dropFirst().reduce(1, *)))
        return shape
    }
}

/// Global average pooling, `[N, C, H, W]` to `[N, C]`: `y[n, c] = mean over h, w of x[n, c, h, w]`.
public final class GlobalAveragePool<T: NetScalar>: Module<T> {
    private var savedShape: [Int]?

    /// A pooling layer.
    public override init() {}

    /// `[N, C, H, W]` to `[N, C]`.
    @_specialize(where T == Float)
    public override func forward(_ input: Tensor<T>) throws -> Tensor<T> {
        guard input.rank == 4, input.shape[2] * input.shape[3] > 0 else {
            throw ShiftOpsError(.invalidRank, argument: "input", "expected [N, C, H, W] with H, W >= 1, got \(input.shape)")
        }
        let (rows, plane) = (input.shape[0] * input.shape[1], input.shape[2] * input.shape[3])
        savedShape = isTraining ? input.shape : nil
        return try Tensor<T>(shape: [input.shape[0], input.shape[1]]) { y in
            input.withDenseBuffer { x in
                for r in 0..<rows {
                    var s: T = 0
                    for p in 0..<plane { s += x[r &* plane &+ p] }
                    y[r] = s / T(plane)
                }
            }
        }
    }

    /// Spreads `g[n, c] / (H * W)` over the plane.
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        guard let shape = savedShape else {
            throw ShiftOpsError(.invalidArgument, argument: "forward", "backward needs a training-mode forward first")
        }
        guard gradOutput.shape == [shape[0], shape[1]] else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput", "expected \([shape[0], shape[1]]), got \(gradOutput.shape)")
        }
        let plane = shape[2] * shape[3]
        return try Tensor<T>(shape: shape) { gx in
            gradOutput.withDenseBuffer { g in
                for r in 0..<g.count {
                    let v = g[r] / T(plane)
                    for p in 0..<plane { gx[r &* plane &+ p] = v }
                }
            }
        }
    }

    /// No parameters or MACs; one addition per input element listed apart.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        guard shape.count == 4 else {
            throw ShiftOpsError(.invalidRank, argument: "input", "expected [N, C, H, W], got \(shape)")
        }
        rows.append(LayerCount(path: path, kind: "avgpool", outputShape: [shape[1]], parameters: 0, macs: 0,
                               otherOps: shape.dropFirst().reduce(1, *)))
        return [shape[0], shape[1]]
    }
}
