/// The gradients of a shift with respect to its input and its shifts.
public struct ShiftGradients<T: ShiftFloatingPoint>: Sendable {
    /// `dL/dx`, the input's shape, dense in the input's dimension order.
    public var input: Tensor<T>
    /// `dL/ds`, shape `[C, k]`; nil for grouped shifts, which do not learn.
    public var shifts: Tensor<T>?

    /// Both gradients, as the backward ops return them.
    public init(input: Tensor<T>, shifts: Tensor<T>?) {
        self.input = input
        self.shifts = shifts
    }
}

extension ShiftOp {
    @inlinable
    static func backward<T: ShiftFloatingPoint>(
        gradOutput: Tensor<T>, input: Tensor<T>, shifts: Tensor<T>, spatialRank: Int,
        mode: ShiftMode, padding: ShiftPadding, geometry: ShiftGeometry
    ) throws -> ShiftGradients<T> {
        let problem = try ShiftProblem.make(input: input, shifts: shifts, spatialRank: spatialRank,
                                            mode: mode, padding: padding, geometry: geometry)
        guard gradOutput.shape == problem.outputShape else {
            throw ShiftOpsError(.shapeMismatch, argument: "gradOutput",
                                "expected the output's shape \(problem.outputShape), got \(gradOutput.shape)")
        }
        let gradInput = try Tensor<T>(uninitializedShape: input.shape, order: input.dimensionOrder)
        let k = spatialRank
        let gradShifts = mode.learnsShifts ? try Tensor<T>(uninitializedShape: [problem.channels, k]) : nil
        let planes = problem.batch * problem.channels
        // One slot of three partial sums per plane, reduced below in batch order: deterministic
        // for any thread count.
        let partials = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(planes * 3, 1))
        defer { partials.deallocate() }
        BackwardKernel.run(
            problem, input: input.storage.base + input.offset, LiftedStrides(input),
            gradOutput: gradOutput.storage.base + gradOutput.offset, LiftedStrides(gradOutput),
            shifts: ShiftTable(shifts),
            gradInput: SendablePointer(gradInput.storage.base), LiftedStrides(gradInput),
            partials: mode.learnsShifts ? SendablePointer(partials) : nil)
        if let gradShifts {
            let out = gradShifts.storage.base
            for c in 0..<problem.channels {
                for j in 0..<k {
                    var sum: T = 0
                    for n in 0..<problem.batch { sum += partials[(n * problem.channels + c) * 3 + (3 - k) + j] }
                    out[c * k + j] = sum
                }
            }
        }
        return ShiftGradients(input: gradInput, shifts: gradShifts)
    }
}
