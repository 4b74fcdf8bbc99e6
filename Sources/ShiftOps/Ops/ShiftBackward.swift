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
        try problem.checkGradOutput(gradOutput)
        let k = spatialRank
        if problem.hasNoOutput {
            // Nothing reads an input element: both gradients are zero.
            return ShiftGradients(input: try Tensor<T>(shape: input.shape, order: input.dimensionOrder),
                                  shifts: mode.learnsShifts ? try Tensor<T>(shape: [problem.channels, k]) : nil)
        }
        let gradInput = try Tensor<T>(uninitializedShape: input.shape, order: input.dimensionOrder)
        let gradShifts = mode.learnsShifts ? try Tensor<T>(uninitializedShape: [problem.channels, k]) : nil
        let (xs, gs, gxs) = (LiftedStrides(input), LiftedStrides(gradOutput), LiftedStrides(gradInput))
        let table = ShiftTable(shifts)
        let plan = CPUPlan.backward(problem, xs, gs, gxs, learnsShifts: mode.learnsShifts, elementSize: MemoryLayout<T>.stride,
                                    shifts: table)
        try plan.runBackward(problem, input: StridedPointer(input), gradOutput: StridedPointer(gradOutput),
                             shifts: table, gradInput: StridedPointer(gradInput),
                             gradShifts: gradShifts?.storage.base, inputShape: input.shape)
        return ShiftGradients(input: gradInput, shifts: gradShifts)
    }
}
