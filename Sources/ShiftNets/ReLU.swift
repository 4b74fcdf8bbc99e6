import ShiftOps

/// `y = max(x, 0)` elementwise, NaN kept as NaN (as PyTorch's `relu`); the gradient passes where
/// the output is positive or NaN.
public final class ReLU<T: NetScalar>: Module<T> {
    private var savedOutput = SavedForBackward<Tensor<T>>()

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
        savedOutput.keep(y, training: isTraining)
        return y
    }

    /// `g` where the output was positive or NaN, else 0 (PyTorch's threshold backward).
    @_specialize(where T == Float)
    public override func backward(_ gradOutput: Tensor<T>) throws -> Tensor<T> {
        let y = try savedOutput.value()
        try checkGradOutput(gradOutput, expected: y.shape)
        return try Tensor<T>(shape: y.shape) { gx in
            y.withDenseBuffer { out in
                gradOutput.withDenseBuffer { g in
                    for i in 0..<g.count { gx[i] = out[i] <= 0 ? 0 : g[i] }
                }
            }
        }
    }

    /// Forgets the output kept for the backward, as an evaluation-mode forward does: for a ReLU
    /// whose work a layer before it did (an evaluation-mode fold).
    func forgetSaved() { savedOutput = SavedForBackward() }

    /// No parameters or MACs; one comparison per element listed apart.
    public override func count(inputShape shape: [Int], path: String, rows: inout [LayerCount]) throws -> [Int] {
        rows.append(LayerCount(path: path, kind: "relu", outputShape: Array(shape.dropFirst()), parameters: 0, macs: 0,
                               otherOps: shape.dropFirst().reduce(1, *)))
        return shape
    }
}

/// `v <= 0` gives 0 in place over `count` values; NaN stays NaN (it fails the comparison).
@_specialize(where T == Float)
@inline(__always)
func applyReLU<T: NetScalar>(_ values: UnsafeMutablePointer<T>, count: Int) {
    for i in 0..<count {
        let v = values[i]
        values[i] = v <= 0 ? 0 : v
    }
}
