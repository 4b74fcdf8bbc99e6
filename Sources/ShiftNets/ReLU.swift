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
                // NaN fails every comparison: `Swift.max(v, 0)` is `0 >= v ? 0 : v`, so NaN
                // passes through instead of becoming 0 and hiding that something upstream went
                // wrong (and the loop vectorises, see addBiasReLU).
                for i in 0..<x.count { y[i] = Swift.max(x[i], 0) }
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
        return try reluGradient(gradOutput, output: y)
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

/// `relu(v + bias)` in place over `count` values: `v + bias <= 0` gives 0, NaN stays NaN.
///
/// Written with `Swift.max(v, 0)` (`0 >= v ? 0 : v`: NaN fails the comparison and is kept), which
/// the compiler turns into a vector compare and mask. The same rule written `v <= 0 ? 0 : v`
/// compiled to a branch per element that skips the store where the value is kept: it neither
/// vectorised nor predicted (about half of a layer's outputs are cut) and cost more than the
/// product before it.
@_specialize(where T == Float)
@inline(__always)
func addBiasReLU<T: NetScalar>(_ values: UnsafeMutablePointer<T>, count: Int, bias: T) {
    for i in 0..<count { values[i] = Swift.max(values[i] + bias, 0) }
}
