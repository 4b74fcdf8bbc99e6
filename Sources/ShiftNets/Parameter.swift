import ShiftOps

/// A learned tensor and the gradient accumulated for it since the last ``zeroGradient()``.
///
/// A reference, so a layer and the walk over a network's parameters see the same value; the
/// tensors inside are values.
public final class Parameter<T: NetScalar> {
    /// The current value.
    public var value: Tensor<T>
    /// `dL/dvalue` summed over the backward passes since the last ``zeroGradient()``; same shape.
    public var gradient: Tensor<T>

    /// A parameter holding `value` with a zero gradient.
    public init(_ value: Tensor<T>) {
        self.value = value
        // The shape is the value's own, so it is valid.
        gradient = try! Tensor(shape: value.shape)
    }

    /// Clears the gradient.
    public func zeroGradient() {
        gradient = try! Tensor(shape: value.shape)
    }

    /// Adds `delta` to the gradient: what a layer's backward calls for each of its parameters.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` (`shapeMismatch`, naming `delta`) when `delta`'s shape is not
    ///   the value's; the gradient is then unchanged.
    public func accumulate(_ delta: Tensor<T>) throws {
        guard delta.shape == value.shape else {
            throw ShiftOpsError(.shapeMismatch, argument: "delta", "expected the parameter's shape \(value.shape), got \(delta.shape)")
        }
        delta.withDenseBuffer { accumulate(Array($0)) }
    }

    /// Adds `delta` (the value's element count, row-major) to the gradient.
    @_specialize(where T == Float)
    func accumulate(_ delta: [T]) {
        let old = gradient
        gradient = try! Tensor(shape: value.shape) { out in
            old.withDenseBuffer { g in
                for i in 0..<out.count { out[i] = g[i] + delta[i] }
            }
        }
    }
}
