import ShiftOps

/// What a layer's forward keeps for its backward (its input, its output, or intermediate values).
///
/// A training-mode forward fills the slot and an evaluation-mode forward empties it, so a backward
/// never differentiates values left over from an earlier batch: after no forward, or after an
/// evaluation-mode one, ``value()`` refuses. A layer holds one slot as a `private var` and states
/// each side in one line:
///
/// ```swift
/// savedInput.keep(input, training: isTraining)   // in forward(_:)
/// let input = try savedInput.value()              // in backward(_:)
/// ```
public struct SavedForBackward<Value> {
    private var kept: Value?

    /// An empty slot: a backward before any forward is refused.
    public init() {}

    /// Keeps `value` for the backward when `training` is true; otherwise forgets what was kept.
    public mutating func keep(_ value: Value, training: Bool) {
        kept = training ? value : nil
    }

    /// What the last forward kept.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `forward` when no forward has run or the last
    ///   one ran in evaluation mode.
    public func value() throws -> Value {
        guard let kept else {
            throw ShiftOpsError(.invalidArgument, argument: "forward", "backward needs a training-mode forward first")
        }
        return kept
    }
}

/// Checks that a backward's `gradOutput` has the shape its forward gave.
///
/// - Throws: ``ShiftOps/ShiftOpsError`` naming `gradOutput` when its shape is not `expected`.
func checkGradOutput<T: NetScalar>(_ gradOutput: Tensor<T>, expected: [Int]) throws {
    guard gradOutput.shape == expected else {
        throw ShiftOpsError(.shapeMismatch, argument: "gradOutput", "expected \(expected), got \(gradOutput.shape)")
    }
}
